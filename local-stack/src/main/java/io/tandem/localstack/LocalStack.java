package io.tandem.localstack;

import io.tandem.proto.Topics;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The one-machine default: an embedded Kafka broker (KRaft) and an embedded MQTT broker in one process.
 * Prints one {@code READY} line when both accept connections and stops cleanly on SIGTERM.
 */
@Command(name = "local-stack", mixinStandardHelpOptions = true,
        description = "Run an embedded Kafka broker (KRaft) and an embedded MQTT broker on 127.0.0.1.")
public final class LocalStack implements Runnable, AutoCloseable {

    /** Start of the line printed once both brokers are up. */
    public static final String READY = "tandem local-stack READY";

    /** Largest MQTT message the broker accepts: the largest payload (1 MiB) plus topic and headers. */
    static final int MQTT_MAX_MESSAGE_BYTES = 2 << 20;

    @Option(names = "--host", description = "Address to bind (default: ${DEFAULT-VALUE})")
    String host = "127.0.0.1";

    @Option(names = "--kafka-port", description = "Kafka client port (default: ${DEFAULT-VALUE})")
    int kafkaPort = 9092;

    @Option(names = "--kafka-controller-port", description = "KRaft controller port (default: ${DEFAULT-VALUE})")
    int controllerPort = 9093;

    @Option(names = "--mqtt-port", description = "MQTT port (default: ${DEFAULT-VALUE})")
    int mqttPort = 1883;

    @Option(names = "--partitions", description = "Partitions per Tandem topic (default: ${DEFAULT-VALUE})")
    int partitions = 4;

    @Option(names = "--data-dir", description = "Folder for the Kafka log (default: ${DEFAULT-VALUE})")
    Path dataDir = Path.of("target/local-stack");

    private EmbeddedKafka kafka;
    private EmbeddedMqtt mqtt;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Runs the stack until the process is told to stop. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalStack()).execute(args));
    }

    /** Every Kafka topic Tandem uses. */
    public static List<String> tandemTopics() {
        return List.of(Topics.KAFKA_SAMPLES, Topics.KAFKA_RESULTS, Topics.KAFKA_TELEMETRY, Topics.KAFKA_ACKS);
    }

    /** Starts both brokers with this object's options. */
    public void start() {
        LocalStackConfig config = new LocalStackConfig(host, kafkaPort, controllerPort, mqttPort, partitions,
                MQTT_MAX_MESSAGE_BYTES, dataDir);
        mqtt = new EmbeddedMqtt(config);
        mqtt.start();
        kafka = new EmbeddedKafka(config);
        kafka.start(tandemTopics());
    }

    @Override
    public void run() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            close();
            stopped.countDown();
        }, "local-stack-shutdown"));
        start();
        System.out.println(READY + " kafka=" + kafka.bootstrapServers() + " mqtt=" + mqtt.url());
        System.out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public synchronized void close() {
        if (mqtt != null) {
            mqtt.close();
            mqtt = null;
        }
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }
}
