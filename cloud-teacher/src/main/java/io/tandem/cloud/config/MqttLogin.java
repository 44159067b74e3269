package io.tandem.cloud.config;

import io.tandem.proto.MqttTls;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;

/** How the cloud's MQTT clients (bridge, rollouts) log in: its user and password, and TLS trust when set. */
public final class MqttLogin {

    private MqttLogin() {
    }

    /** Adds the cloud's credentials and TLS trust to connection options. */
    public static MqttConnectOptions apply(TandemConfig.Mqtt mqtt, MqttConnectOptions options) {
        mqtt.password().ifPresent(pw -> {
            options.setUserName(mqtt.username());
            options.setPassword(pw.toCharArray());
        });
        mqtt.caFile().ifPresent(ca -> options.setSocketFactory(MqttTls.trusting(ca)));
        return options;
    }
}
