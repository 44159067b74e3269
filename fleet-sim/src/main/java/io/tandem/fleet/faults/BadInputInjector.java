package io.tandem.fleet.faults;

import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Sends malformed and oversized messages on every wire a device or the cloud reads: each MQTT device
 * stream, a device's deploy topic and each Kafka topic. Every one must be refused and counted once.
 */
public final class BadInputInjector {

    /** Keys under which the cloud's {@code /api/stats} counts what {@link #inject} sends, one each. */
    public static final List<String> CLOUD_REJECTION_KEYS = List.of("mqtt/samples/MALFORMED",
            "mqtt/samples/OVERSIZED", "mqtt/sample-batches/MALFORMED", "mqtt/results/MALFORMED", "mqtt/telemetry/MALFORMED", "mqtt/acks/MALFORMED",
            "kafka/tandem.samples/MALFORMED", "kafka/tandem.results/MALFORMED", "kafka/tandem.telemetry/MALFORMED",
            "kafka/tandem.acks/MALFORMED");

    private static final byte[] GARBAGE = {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0x7f};

    private BadInputInjector() {
    }

    /** Sends the bad messages as if from (and, for the deploy topic, to) {@code deviceId}. */
    public static void inject(String mqttUrl, String bootstrap, String fleet, String deviceId) throws MqttException {
        try (MqttClient client = new MqttClient(mqttUrl, "fleet-sim-bad-input", new MemoryPersistence())) {
            MqttConnectOptions options = new MqttConnectOptions();
            options.setCleanSession(true);
            client.connect(options);
            for (Topics.DeviceStream s : Topics.DeviceStream.values()) {
                client.publish(Topics.mqtt(fleet, deviceId, s), GARBAGE, 1, false);
            }
            client.publish(Topics.mqtt(fleet, deviceId, Topics.DeviceStream.SAMPLES),
                    new byte[Codecs.MAX_HARD_EXAMPLE_BYTES + 1], 1, false);
            client.publish(Topics.deviceDeploy(fleet, deviceId), GARBAGE, 1, false);
            client.disconnect();
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer())) {
            // Every topic a cloud worker reads (the dead letters are read by people, not by workers).
            Topics.KAFKA_TOPICS.stream().filter(t -> !t.equals(Topics.KAFKA_DEAD_LETTERS))
                    .forEach(t -> producer.send(new ProducerRecord<>(t, deviceId, GARBAGE)));
            producer.flush();
        }
    }
}
