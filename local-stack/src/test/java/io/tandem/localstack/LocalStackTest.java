package io.tandem.localstack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStackTest {

    private static final String TOPIC = "tandem.samples";

    @TempDir
    Path dir;

    @Test
    void kafkaAndMqttAcceptTrafficOnLoopback() throws Exception {
        int mqttPort = Ports.free();
        LocalStack stack = LocalStack.fromArgs(new String[] {"--kafka-port", "" + Ports.free(),
            "--kafka-controller-port", "" + Ports.free(), "--mqtt-port", "" + mqttPort, "--partitions", "2",
            "--topics", TOPIC, "--data-dir", dir.toString()});
        try (stack) {
            stack.start();
            String bootstrap = stack.kafkaBootstrapServers();
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                    new StringSerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(TOPIC, "dev-1", new byte[] {1, 2, 3}))
                        .get(30, TimeUnit.SECONDS);
            }
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, "t",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(),
                    new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(TOPIC));
                ConsumerRecord<String, byte[]> got = null;
                for (int i = 0; i < 60 && got == null; i++) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        got = r;
                    }
                }
                assertTrue(got != null, "record not consumed");
                assertEquals("dev-1", got.key());
                assertArrayEquals(new byte[] {1, 2, 3}, got.value());
            }

            String url = stack.mqttUrl();
            assertEquals("tcp://127.0.0.1:" + mqttPort, url);
            BlockingQueue<String> received = new ArrayBlockingQueue<>(4);
            MqttConnectOptions options = new MqttConnectOptions();
            options.setCleanSession(true);
            try (MqttClient sub = new MqttClient(url, "sub", new MemoryPersistence());
                 MqttClient pub = new MqttClient(url, "pub", new MemoryPersistence())) {
                pub.connect(options);
                String topic = "tandem/v1/f1/deploy";
                pub.publish(topic, "retained".getBytes(StandardCharsets.UTF_8), 1, true);
                sub.connect(options);
                sub.subscribe(topic, 1, (t, m) -> received.add(new String(m.getPayload(), StandardCharsets.UTF_8)));
                assertEquals("retained", received.poll(10, TimeUnit.SECONDS), "retained message for a late subscriber");
                sub.disconnect();
                pub.disconnect();
            }
            burstOfQos1MessagesArrivesWithoutDisconnects(url);
        }
    }

    @Test
    void retainedCommandsAndQueuedMessagesSurviveABrokerRestart() throws Exception {
        int mqttPort = Ports.free();
        LocalStackConfig config = new LocalStackConfig("127.0.0.1", Ports.free(), Ports.free(), mqttPort, 2,
                2 << 20, dir);
        String url = "tcp://127.0.0.1:" + mqttPort;
        MqttConnectOptions persistent = new MqttConnectOptions();
        persistent.setCleanSession(false);
        MqttConnectOptions clean = new MqttConnectOptions();
        clean.setCleanSession(true);
        try (EmbeddedMqtt broker = new EmbeddedMqtt(config)) {
            broker.start();
            try (MqttClient device = new MqttClient(url, "dev-persist", new MemoryPersistence());
                 MqttClient cloud = new MqttClient(url, "cloud", new MemoryPersistence())) {
                device.connect(persistent);
                device.subscribe("tandem/v1/f/dev-persist/deploy", 1);
                device.disconnect();
                cloud.connect(clean);
                cloud.publish("tandem/v1/f/deploy", "retained".getBytes(StandardCharsets.UTF_8), 1, true);
                cloud.publish("tandem/v1/f/dev-persist/deploy", "queued".getBytes(StandardCharsets.UTF_8), 1, false);
                cloud.disconnect();
            }
            Thread.sleep(2_500);   // one autosave
        }
        try (EmbeddedMqtt broker = new EmbeddedMqtt(config)) {
            broker.start();
            BlockingQueue<String> got = new ArrayBlockingQueue<>(4);
            try (MqttClient device = new MqttClient(url, "dev-persist", new MemoryPersistence())) {
                device.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
                    @Override
                    public void connectionLost(Throwable cause) {
                    }

                    @Override
                    public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage m) {
                        got.add(new String(m.getPayload(), StandardCharsets.UTF_8));
                    }

                    @Override
                    public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
                    }
                });
                device.connect(persistent);
                assertEquals("queued", got.poll(10, TimeUnit.SECONDS), "the session's queued message survived");
                device.subscribe("tandem/v1/f/deploy", 1);
                assertEquals("retained", got.poll(10, TimeUnit.SECONDS), "the retained command survived");
                device.disconnect();
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LocalStack.fromArgs(new String[] {"--mqtt-port", "eighteen"}));
        assertTrue(e.getMessage().contains("--mqtt-port"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LocalStack.fromArgs(new String[] {"--kafka-prot", "1"}));
        assertTrue(e.getMessage().contains("--kafka-prot"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LocalStack.fromArgs(new String[] {"--partitions", "0"}));
        assertTrue(e.getMessage().contains("partitions"), e.getMessage());
    }

    /**
     * A device pushing thousands of hard-example-sized QoS 1 messages with a wide in-flight window: every
     * one arrives and the connection survives (Netty 4.1.133's decoder dropped such connections when a
     * header straddled two TCP reads).
     */
    private static void burstOfQos1MessagesArrivesWithoutDisconnects(String url) throws Exception {
        int count = 5000;
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger lost = new java.util.concurrent.atomic.AtomicInteger();
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setMaxInflight(1000);
        try (MqttClient sub = new MqttClient(url, "burst-sub", new MemoryPersistence());
             org.eclipse.paho.client.mqttv3.MqttAsyncClient pub = new org.eclipse.paho.client.mqttv3.MqttAsyncClient(url,
                     "burst-pub", new MemoryPersistence())) {
            sub.connect(options);
            sub.subscribe("tandem/v1/burst/+/samples", 1, (t, m) -> received.incrementAndGet());
            pub.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {
                    lost.incrementAndGet();
                }

                @Override
                public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage message) {
                }

                @Override
                public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
                }
            });
            pub.connect(options).waitForCompletion(10_000);
            byte[] payload = new byte[911];
            for (int i = 0; i < count; i++) {
                while (pub.getPendingDeliveryTokens().length >= 900) {
                    Thread.sleep(1);
                }
                pub.publish("tandem/v1/burst/dev/samples", payload, 1, false);
            }
            long deadline = System.currentTimeMillis() + 30_000;
            while (received.get() < count && System.currentTimeMillis() < deadline && lost.get() == 0) {
                Thread.sleep(20);
            }
            assertEquals(0, lost.get(), "the broker dropped the publisher's connection");
            assertEquals(count, received.get());
            pub.disconnect().waitForCompletion(5_000);
            sub.disconnect();
        }
    }
}
