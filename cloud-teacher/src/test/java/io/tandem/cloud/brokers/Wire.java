package io.tandem.cloud.brokers;

import com.google.protobuf.ByteString;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** What the component tests send and read on the real brokers, as a device or an operator tool would. */
public final class Wire {

    private Wire() {
    }

    /** A valid 28x28 hard example of {@code device} with 10 probabilities. */
    public static HardExample hardExample(String fleet, String device, long sequence) {
        byte[] pixels = new byte[28 * 28];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) ((i * 31 + sequence * 7) & 0xff);
        }
        HardExample.Builder b = HardExample.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(device)
                .setFleet(fleet).setModelVersion("v1").setSequence(sequence).setCaptureTimeMs(System.currentTimeMillis())
                .setGateReason(GateReason.LOW_CONFIDENCE).setThreshold(0.7f)
                .setInput(Tensor.newBuilder().addShape(1).addShape(28).addShape(28).setDtype(DType.UINT8)
                        .setData(ByteString.copyFrom(pixels)));
        for (int c = 0; c < 10; c++) {
            b.addProbabilities(0.1f);
        }
        return b.build();
    }

    /**
     * Publishes one QoS 1 message and waits for the broker's acknowledgement, once the service is ready (its bridge
     * subscribed): the bridge takes a clean session, so a message published while it (re)connects has no subscriber
     * and the broker drops it, as it would for a real device, which keeps it until the cloud's receipt.
     */
    public static void publishMqtt(String topic, byte[] payload, boolean retained) throws Exception {
        if (!eventually(java.time.Duration.ofSeconds(60), () -> io.restassured.RestAssured.given().get("/q/health/ready")
                .statusCode() == 200)) {
            throw new IllegalStateException("the service did not become ready (bridge subscribed, database up) in 60 s");
        }
        try (MqttClient client = new MqttClient(EmbeddedBrokers.mqttUrl(), "test-" + UUID.randomUUID(),
                new MemoryPersistence())) {
            MqttConnectOptions options = new MqttConnectOptions();
            options.setCleanSession(true);
            client.connect(options);
            client.publish(topic, payload, 1, retained);
            client.disconnect();
        }
    }

    /** Produces one record and waits for Kafka's acknowledgement. */
    public static void produceKafka(String topic, String key, byte[] value) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedBrokers.bootstrapServers(), ProducerConfig.ACKS_CONFIG,
                "all"), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    /** Reads {@code topic} from its beginning until a record matches or {@code timeout} passes; every match. */
    public static List<ConsumerRecord<String, byte[]>> readKafka(String topic,
            Predicate<ConsumerRecord<String, byte[]>> match, Duration timeout) {
        List<ConsumerRecord<String, byte[]>> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, EmbeddedBrokers.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (found.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    if (match.test(r)) {
                        found.add(r);
                    }
                }
            }
        }
        return found;
    }

    /** The cloud's count of refused inputs under {@code where/reason}, 0 when there is none. */
    public static long rejected(String key) {
        Object v = io.restassured.RestAssured.given().get("/api/stats").then().statusCode(200).extract().jsonPath()
                .get("rejected.'" + key + "'");
        return v == null ? 0 : ((Number) v).longValue();
    }

    /** A counter of {@code /api/stats}. */
    public static long stat(String key) {
        return ((Number) io.restassured.RestAssured.given().get("/api/stats").then().statusCode(200).extract()
                .jsonPath().get(key)).longValue();
    }

    /** Polls {@code condition} every 100 ms for up to {@code timeout}; whether it came true. */
    public static boolean eventually(Duration timeout, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return condition.getAsBoolean();
    }
}
