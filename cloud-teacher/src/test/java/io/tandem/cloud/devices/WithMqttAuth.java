package io.tandem.cloud.devices;

import io.tandem.cloud.brokers.EmbeddedBrokers;
import io.tandem.cloud.brokers.WithBrokers;
import java.util.List;
import java.util.Map;

/** The broker profile with an MQTT broker that requires the credentials the cloud issues. */
public final class WithMqttAuth extends WithBrokers {

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(EmbeddedBrokers.class, Map.of("mqtt-auth", "true")));
    }
}
