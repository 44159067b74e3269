package io.tandem.edge.link;

import io.tandem.edge.device.DeviceConfig;
import io.tandem.proto.MqttTls;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.eclipse.paho.client.mqttv3.DisconnectedBufferOptions;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MqttDefaultFilePersistence;

/**
 * The device's MQTT connection: QoS 1 publishing that never waits (the upload queue keeps what cannot be
 * handed over yet), a callback on PUBACK, and subscriptions that are renewed on every reconnect.
 */
public final class MqttLink implements AutoCloseable {

    /** Longest wait between reconnect attempts. */
    static final int MAX_RECONNECT_DELAY_MS = 15_000;

    private final MqttAsyncClient client;
    private final List<String> subscriptions;
    private final BiConsumer<String, byte[]> onMessage;
    private final DeviceConfig.MqttTuning tuning;

    /** Creates a link; nothing connects until {@link #connect()}. */
    public MqttLink(String brokerUrl, String clientId, Path persistenceDir, DeviceConfig.MqttTuning tuning,
            List<String> subscriptions, BiConsumer<String, byte[]> onMessage) {
        this.tuning = tuning;
        try {
            this.client = new MqttAsyncClient(brokerUrl, clientId, new MqttDefaultFilePersistence(persistenceDir.toString()));
        } catch (MqttException e) {
            throw new IllegalArgumentException("bad MQTT broker URL or client id: " + brokerUrl + ", " + clientId, e);
        }
        this.subscriptions = List.copyOf(subscriptions);
        this.onMessage = onMessage;
        DisconnectedBufferOptions buffer = new DisconnectedBufferOptions();
        buffer.setBufferEnabled(true);
        buffer.setBufferSize(tuning.offlineBuffer());
        buffer.setPersistBuffer(true);
        buffer.setDeleteOldestMessages(false);
        client.setBufferOpts(buffer);
        client.setCallback(new MqttCallbackExtended() {
            @Override
            public void connectComplete(boolean reconnect, String serverURI) {
                subscribeAll();
            }

            @Override
            public void connectionLost(Throwable cause) {
                System.err.println(clientId + ": MQTT connection lost (" + cause.getMessage() + "), reconnecting");
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                onMessage.accept(topic, message.getPayload());
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
    }

    /** Connects, retrying until the broker answers or {@code timeoutMs} passes. */
    public void connect(long timeoutMs) {
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false);
        options.setAutomaticReconnect(true);
        // Paho doubles its reconnect delay up to 128 s; a device back on the network should not wait that long.
        options.setMaxReconnectDelay(MAX_RECONNECT_DELAY_MS);
        options.setMaxInflight(tuning.maxInflight());
        options.setKeepAliveInterval(tuning.keepAliveSeconds());
        options.setConnectionTimeout(10);
        if (!tuning.password().isEmpty()) {
            options.setUserName(client.getClientId());
            options.setPassword(tuning.password().toCharArray());
        }
        if (!tuning.caFile().isEmpty()) {
            options.setSocketFactory(MqttTls.trusting(Path.of(tuning.caFile())));
        }
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            try {
                client.connect(options).waitForCompletion(10_000);
                return;
            } catch (MqttException e) {
                if (e.getReasonCode() == MqttException.REASON_CODE_CLIENT_TIMEOUT
                        || e.getReasonCode() == MqttException.REASON_CODE_CONNECT_IN_PROGRESS) {
                    // A broker that took the TCP connection but never answered the CONNECT: give up that attempt,
                    // or every later one fails as "connect already in progress" and the device never connects.
                    abandonAttempt();
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("cannot reach MQTT broker " + client.getServerURI() + ": "
                            + e.getMessage(), e);
                }
                sleep(500);
            }
        }
    }

    private void abandonAttempt() {
        try {
            client.disconnectForcibly(0, 1_000, false);
        } catch (MqttException e) {
            // nothing left to abandon
        }
    }

    private void subscribeAll() {
        for (String topic : subscriptions) {
            try {
                client.subscribe(topic, 1);
            } catch (MqttException e) {
                System.err.println("cannot subscribe to " + topic + ": " + e.getMessage());
            }
        }
    }

    /**
     * Hands a QoS 1 message to the client if it can take it now; {@code onAck} runs on PUBACK with true, or
     * with false if delivery failed. Never waits.
     *
     * @return false when the client is not connected or its in-flight window is full
     */
    public boolean tryPublish(String topic, byte[] payload, java.util.function.Consumer<Boolean> onAck) {
        if (!client.isConnected()) {
            return false;
        }
        MqttMessage message = new MqttMessage(payload);
        message.setQos(1);
        try {
            client.publish(topic, message, null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    onAck.accept(true);
                }

                @Override
                public void onFailure(IMqttToken token, Throwable error) {
                    onAck.accept(false);
                }
            });
            return true;
        } catch (MqttException e) {
            return false;
        }
    }

    /**
     * Keeps trying to connect on a background thread until connected or {@code stopped} says so; automatic
     * reconnection takes over after the first connection.
     */
    public Thread connectInBackground(java.util.function.BooleanSupplier stopped) {
        Thread t = new Thread(() -> {
            while (!stopped.getAsBoolean() && !client.isConnected()) {
                try {
                    connect(5_000);
                    return;
                } catch (IllegalStateException e) {
                    if (stopped.getAsBoolean()) {
                        return;
                    }
                }
            }
        }, client.getClientId() + "-connect");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Whether the client is connected to the broker now. */
    public boolean connected() {
        return client.isConnected();
    }

    /** Number of QoS 1 messages not yet acknowledged. */
    public int pending() {
        return client.getPendingDeliveryTokens().length + client.getBufferedMessageCount();
    }

    /** Waits up to {@code timeoutMs} for every pending message to be acknowledged. */
    public boolean drain(long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (pending() > 0 && System.currentTimeMillis() < deadline) {
            sleep(50);
        }
        return pending() == 0;
    }

    private static void sleep(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        try {
            if (client.isConnected()) {
                client.disconnect(5_000).waitForCompletion(6_000);
            }
            client.close();
        } catch (MqttException e) {
            System.err.println("MQTT close: " + e.getMessage());
        }
    }
}
