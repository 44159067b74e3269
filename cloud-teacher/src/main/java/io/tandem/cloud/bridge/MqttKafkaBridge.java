package io.tandem.cloud.bridge;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.MqttLogin;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.kafka.KafkaClients;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.Topics;
import io.tandem.proto.Topics.DeviceStream;
import io.tandem.proto.Topics.DeviceTopic;
import io.tandem.proto.v1.HardExampleBatch;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.jboss.logging.Logger;

/**
 * Moves device messages from MQTT to Kafka without loss: each MQTT message is acknowledged to the broker
 * only after Kafka has acknowledged its record ({@code acks=all}, idempotent producer), keyed by device
 * id. A payload that fails its codec, or whose device id disagrees with its topic, is counted, logged and
 * acknowledged, so it cannot block the messages behind it. A batch of hard examples becomes one record per
 * example, acknowledged once Kafka has all of them.
 *
 * <p>The bridge holds {@code tandem.bridge.connections} MQTT connections. One subscribes to the device
 * topics directly; several join one MQTT shared subscription, so the broker spreads messages over them and
 * each brings its own in-flight window (a broker bounds unacknowledged QoS 1 messages per connection).
 */
@ApplicationScoped
public class MqttKafkaBridge {

    private static final Logger LOG = Logger.getLogger(MqttKafkaBridge.class);

    @Inject
    TandemConfig config;

    @Inject
    KafkaClients kafka;

    @Inject
    Rejections rejections;

    private final List<Link> links = new ArrayList<>();
    private final AtomicLong kafkaRefusals = new AtomicLong();
    private final AtomicInteger nextPublisher = new AtomicInteger();
    private final Map<DeviceStream, AtomicLong> forwarded = new EnumMap<>(DeviceStream.class);
    private volatile boolean stopping;
    private MqttConnectOptions connectOptions;

    void start(@Observes StartupEvent event) {
        for (DeviceStream s : DeviceStream.values()) {
            forwarded.put(s, new AtomicLong());
        }
        if (!config.bridge().enabled()) {
            LOG.info("MQTT-Kafka bridge disabled (tandem.bridge.enabled=false)");
            return;
        }
        MqttConnectOptions options = new MqttConnectOptions();
        // A clean session by default: devices keep every sample until the cloud's receipt, so the broker need
        // not queue for an absent bridge (and Moquette 0.17 cannot restore that session after a crash).
        options.setCleanSession(!config.mqtt().persistentSession());
        // The bridge's own reconnect thread (below) is the one way back: Paho's automatic reconnect could
        // leave it waiting minutes, or stuck on a CONNECT the broker never answered.
        options.setAutomaticReconnect(false);
        options.setConnectionTimeout(10);
        options.setMaxInflight(config.mqtt().maxInflight());
        options.setKeepAliveInterval(config.mqtt().keepAliveSeconds());
        connectOptions = MqttLogin.apply(config.mqtt(), options);
        int n = config.bridge().connections();
        for (int i = 0; i < n; i++) {
            String clientId = n == 1 ? config.mqtt().clientId() : config.mqtt().clientId() + "-" + i;
            Link link = new Link(clientId, n == 1 ? "" : "$share/" + config.bridge().sharedGroup() + "/");
            links.add(link);
            link.connectFirst();
        }
        LOG.infof("bridge: MQTT %s (%d connection%s) -> Kafka %s", config.mqtt().url(), n, n == 1 ? "" : "s",
                config.kafka().bootstrapServers());
    }

    /** Records forwarded to Kafka, per stream. */
    public Map<String, Long> forwarded() {
        Map<String, Long> out = new TreeMap<>();
        forwarded.forEach((k, v) -> out.merge(k.kafkaTopic(), v.get(), Long::sum));
        return out;
    }

    /** The bridge's MQTT connections that are up and subscribed to the device streams now, of {@link #connections()}. */
    public int connectedLinks() {
        return (int) links.stream().filter(Link::subscribed).count();
    }

    /** The bridge's MQTT connections; 0 when it is disabled. */
    public int connections() {
        return links.size();
    }

    /** Kafka refusals that made a bridge connection drop and renew itself. */
    public long kafkaRefusals() {
        return kafkaRefusals.get();
    }

    /** Publishes one cloud-to-device message (QoS 1, not retained) on a connected link; false when none is. */
    boolean publish(String topic, byte[] payload) {
        int n = links.size();
        int first = Math.floorMod(nextPublisher.getAndIncrement(), Math.max(1, n));
        for (int i = 0; i < n; i++) {
            if (links.get((first + i) % n).publish(topic, payload)) {
                return true;
            }
        }
        return false;
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        links.forEach(Link::close);
    }

    /** One MQTT connection of the bridge, with its own reconnect state machine. */
    private final class Link implements MqttCallbackExtended {
        private final String clientId;
        private final String filterPrefix;
        private final MqttClient client;
        private final AtomicBoolean reconnecting = new AtomicBoolean();
        /** Connected and subscribed: messages on the device topics reach this link. */
        private volatile boolean subscribed;

        Link(String clientId, String filterPrefix) {
            this.clientId = clientId;
            this.filterPrefix = filterPrefix;
            try {
                client = new MqttClient(config.mqtt().url(), clientId, new MemoryPersistence());
            } catch (MqttException e) {
                throw new IllegalStateException("bad MQTT broker URL or client id: " + config.mqtt().url() + ", "
                        + clientId, e);
            }
            client.setTimeToWait(15_000);
            client.setManualAcks(true);
            client.setCallback(this);
        }

        void connectFirst() {
            try {
                client.connect(connectOptions);
                subscribe();
            } catch (MqttException e) {
                // The service starts anyway (the API, the labeler and the store work without MQTT) and keeps trying.
                LOG.errorf("bridge %s cannot connect to MQTT broker %s yet (%s); retrying in the background", clientId,
                        config.mqtt().url(), e.getMessage());
                reconnect();
            }
        }

        private void subscribe() throws MqttException {
            for (DeviceStream s : DeviceStream.values()) {
                client.subscribe(filterPrefix + Topics.mqttFilterAllDevices(s), 1);
            }
            subscribed = client.isConnected();
        }

        boolean subscribed() {
            return subscribed && client.isConnected();
        }

        private void onMessage(String topic, MqttMessage message) {
            Optional<DeviceTopic> parsed = Topics.parseDeviceTopic(topic);
            if (parsed.isEmpty()) {
                rejections.reject("mqtt", "UNKNOWN_TOPIC", "message on " + topic);
                ack(message);
                return;
            }
            DeviceTopic t = parsed.get();
            byte[] payload = message.getPayload();
            if (t.stream() == DeviceStream.SAMPLE_BATCHES) {
                onBatch(topic, t, message);
                return;
            }
            try {
                requireTopicDevice("payload", Codecs.deviceIdOf(t.stream(), payload), t);
            } catch (PayloadException e) {
                rejections.reject("mqtt/" + t.stream().leaf(), e.reason().name(), topic + ": " + e.getMessage());
                ack(message);
                return;
            }
            forward(topic, t, List.of(payload), message);
        }

        /**
         * Forwards each good example of a batch as its own record of tandem.samples; a bad example is counted
         * and left out, a bad envelope is counted and the whole message acknowledged, as for single messages.
         */
        private void onBatch(String topic, DeviceTopic t, MqttMessage message) {
            HardExampleBatch batch;
            try {
                batch = Codecs.HARD_EXAMPLE_BATCH.decode(message.getPayload());
                requireTopicDevice("batch", batch.getDeviceId(), t);
            } catch (PayloadException e) {
                rejections.reject("mqtt/" + t.stream().leaf(), e.reason().name(), topic + ": " + e.getMessage());
                ack(message);
                return;
            }
            List<byte[]> good = new ArrayList<>(batch.getExamplesCount());
            for (int i = 0; i < batch.getExamplesCount(); i++) {
                byte[] example = batch.getExamples(i).toByteArray();
                try {
                    requireTopicDevice("example", Codecs.HARD_EXAMPLE.decode(example).getDeviceId(), t);
                    good.add(example);
                } catch (PayloadException e) {
                    rejections.reject("mqtt/" + t.stream().leaf(), e.reason().name(), topic + " example " + i + ": "
                            + e.getMessage());
                }
            }
            if (good.isEmpty()) {
                ack(message);
                return;
            }
            forward(topic, t, good, message);
        }

        /** A device publishes only as itself: what a payload names must be the device of its topic. */
        private static void requireTopicDevice(String what, String named, DeviceTopic t) {
            if (!named.equals(t.deviceId())) {
                throw new PayloadException(PayloadException.Reason.INVALID, what + " names device '" + named
                        + "' but arrived on the topic of '" + t.deviceId() + "'");
            }
        }

        /** Sends the records to Kafka and acknowledges the MQTT message once Kafka has every one of them. */
        private void forward(String topic, DeviceTopic t, List<byte[]> records, MqttMessage message) {
            AtomicInteger outstanding = new AtomicInteger(records.size());
            AtomicBoolean failed = new AtomicBoolean();
            for (byte[] record : records) {
                kafka.producer().send(new ProducerRecord<>(t.stream().kafkaTopic(), t.deviceId(), record),
                        (meta, error) -> {
                            if (error == null) {
                                forwarded.get(t.stream()).incrementAndGet();
                                if (outstanding.decrementAndGet() == 0 && !failed.get()) {
                                    ack(message);
                                }
                            } else if (failed.compareAndSet(false, true)) {
                                // Not acknowledged: the broker redelivers it once this connection is back (records
                                // of it that Kafka took meanwhile arrive twice, and the store drops the copies).
                                LOG.errorf("Kafka refused a record from %s (%s); reconnecting MQTT to get it"
                                        + " redelivered", topic, error.getMessage());
                                kafkaRefusals.incrementAndGet();
                                reconnect();
                            }
                        });
            }
        }

        private void ack(MqttMessage message) {
            if (stopping) {
                return; // the connection is closing: the broker redelivers what was not acknowledged
            }
            try {
                client.messageArrivedComplete(message.getId(), message.getQos());
            } catch (MqttException | RuntimeException e) {
                LOG.warnf("cannot acknowledge MQTT message %d: %s", message.getId(), e.getMessage());
            }
        }

        /**
         * One reconnect at a time per connection, whatever the cause (the connection lost, or Kafka refusing
         * records, however many of its callbacks fail): the connection is dropped (so the broker keeps every
         * unacknowledged message for redelivery) and one thread connects and subscribes again with a doubling
         * backoff (1 s to 30 s) until connected or stopped; failures that arrive meanwhile are only counted.
         */
        private void reconnect() {
            subscribed = false;
            if (stopping || !reconnecting.compareAndSet(false, true)) {
                return;
            }
            Thread t = new Thread(() -> {
                try {
                    try {
                        client.disconnectForcibly(1000, 1000);
                    } catch (MqttException e) {
                        // already disconnected
                    }
                    long backoff = 1000;
                    while (!stopping && !client.isConnected()) {
                        try {
                            Thread.sleep(backoff);
                            client.connect(connectOptions);
                            subscribe();
                            LOG.infof("bridge %s reconnected to %s", clientId, config.mqtt().url());
                        } catch (MqttException e) {
                            LOG.warnf("bridge %s reconnect failed (%s), next try in %d ms", clientId, e.getMessage(),
                                    backoff);
                            try {
                                client.disconnectForcibly(0, 1000);
                            } catch (MqttException ignored) {
                                // nothing to abandon
                            }
                        } catch (InterruptedException e) {
                            return;
                        }
                        backoff = Math.min(30_000, backoff * 2);
                    }
                } finally {
                    reconnecting.set(false);
                }
            }, "bridge-reconnect-" + clientId);
            t.setDaemon(true);
            t.start();
        }

        boolean publish(String topic, byte[] payload) {
            if (!client.isConnected()) {
                return false;
            }
            try {
                client.publish(topic, payload, 1, false);
                return true;
            } catch (MqttException e) {
                return false;
            }
        }

        void close() {
            try {
                if (client.isConnected()) {
                    client.disconnect(5000);
                }
                client.close();
            } catch (MqttException e) {
                LOG.warnf("closing bridge %s: %s", clientId, e.getMessage());
            }
        }

        @Override
        public void connectComplete(boolean reconnect, String serverURI) {
        }

        @Override
        public void connectionLost(Throwable cause) {
            LOG.warnf("bridge %s lost MQTT connection: %s; reconnecting", clientId, cause.getMessage());
            reconnect();
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            onMessage(topic, message);
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
        }
    }
}
