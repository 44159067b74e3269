package io.tandem.localstack;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * The one-machine default: an embedded Kafka broker (KRaft) and an embedded MQTT broker in one process.
 * Prints one {@code READY} line when both accept connections and stops cleanly on SIGTERM. It knows no
 * Tandem topic: the cloud creates its Kafka topics itself, as it does on any other cluster.
 */
public final class LocalStack implements AutoCloseable {

    /** Start of the line printed once both brokers are up. */
    public static final String READY = "tandem local-stack READY";

    /** Largest MQTT message the broker accepts: the largest payload (1 MiB) plus topic and headers. */
    static final int MQTT_MAX_MESSAGE_BYTES = 2 << 20;

    private static final String USAGE = """
            usage: local-stack [--host H] [--kafka-port N] [--kafka-controller-port N] [--mqtt-port N]
                               [--partitions N] [--topics a,b,...] [--data-dir DIR] [--mqtt-auth-dir DIR]
                               [--mqtt-tls-port N --mqtt-tls-keystore FILE --mqtt-tls-password P|@FILE]
                               [--brokers kafka,mqtt]
            Runs an embedded Kafka broker (KRaft) and an embedded MQTT broker until SIGTERM.
              --host                   address to bind (default 127.0.0.1)
              --kafka-port             Kafka client port (default 9092)
              --kafka-controller-port  KRaft controller port (default 9093)
              --mqtt-port              MQTT port (default 1883)
              --partitions             partitions of each topic given with --topics (default 4)
              --topics                 Kafka topics to create at start (default: none)
              --data-dir               folder for the Kafka log and MQTT persistence (default target/local-stack)
              --mqtt-auth-dir          folder of the MQTT broker's passwords and acl files (default: none,
                                       anonymous clients may do anything)
              --mqtt-tls-port          port of a TLS listener beside the plain one (default: none)
              --mqtt-tls-keystore      PKCS12 file with the broker's key and certificate
              --mqtt-tls-password      its password, or @FILE holding it
              --brokers                which brokers this process runs (default kafka,mqtt); one alone lets
                                       each be stopped and restarted on its own""";

    private final LocalStackConfig config;
    private final List<String> topics;
    private boolean runKafka = true;
    private boolean runMqtt = true;
    private EmbeddedKafka kafka;
    private EmbeddedMqtt mqtt;

    /** A stack with the given settings; {@code topics} are created at start. */
    public LocalStack(LocalStackConfig config, List<String> topics) {
        this.config = config;
        this.topics = List.copyOf(topics);
    }

    /** Runs the stack until the process is told to stop; exits 2 on bad arguments. */
    public static void main(String[] args) {
        LocalStack stack;
        try {
            stack = fromArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("local-stack: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            stopped.countDown();
        }, "local-stack-shutdown"));
        try {
            stack.start();
        } catch (RuntimeException e) {
            // The brokers' own threads would keep a half-started process alive; a supervisor must see it fail.
            System.err.println("local-stack: cannot start: " + e);
            e.printStackTrace();
            System.exit(1);
        }
        System.out.println(READY + (stack.runKafka ? " kafka=" + stack.kafkaBootstrapServers() : "")
                + (stack.runMqtt ? " mqtt=" + stack.mqttUrl() : ""));
        System.out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Parses the command line; every option takes one value. */
    public static LocalStack fromArgs(String[] args) {
        String host = "127.0.0.1";
        int kafkaPort = 9092;
        int controllerPort = 9093;
        int mqttPort = 1883;
        int partitions = 4;
        List<String> topics = new ArrayList<>();
        Path dataDir = Path.of("target/local-stack");
        Path mqttAuthDir = null;
        int tlsPort = 0;
        Path tlsKeyStore = null;
        String tlsPassword = "";
        String brokers = "kafka,mqtt";
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--help") || option.equals("-h")) {
                System.out.println(USAGE);
                System.exit(0);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            String value = args[++i];
            switch (option) {
                case "--host" -> host = value;
                case "--kafka-port" -> kafkaPort = number(option, value);
                case "--kafka-controller-port" -> controllerPort = number(option, value);
                case "--mqtt-port" -> mqttPort = number(option, value);
                case "--partitions" -> partitions = number(option, value);
                case "--topics" -> Arrays.stream(value.split(",")).map(String::trim).filter(t -> !t.isEmpty())
                        .forEach(topics::add);
                case "--data-dir" -> dataDir = Path.of(value);
                case "--mqtt-auth-dir" -> mqttAuthDir = Path.of(value);
                case "--mqtt-tls-port" -> tlsPort = number(option, value);
                case "--mqtt-tls-keystore" -> tlsKeyStore = Path.of(value);
                case "--mqtt-tls-password" -> tlsPassword = secret(value);
                case "--brokers" -> brokers = value;
                default -> throw new IllegalArgumentException("unknown option " + option);
            }
        }
        if ((tlsPort != 0) != (tlsKeyStore != null)) {
            throw new IllegalArgumentException("--mqtt-tls-port and --mqtt-tls-keystore go together");
        }
        LocalStackConfig.TlsListener tls = tlsPort == 0 ? null
                : new LocalStackConfig.TlsListener(tlsPort, tlsKeyStore, tlsPassword);
        List<String> which = Arrays.stream(brokers.split(",")).map(String::trim).toList();
        if (which.isEmpty() || !List.of("kafka", "mqtt").containsAll(which)) {
            throw new IllegalArgumentException("--brokers takes kafka, mqtt or both, got '" + brokers + "'");
        }
        LocalStack stack = new LocalStack(new LocalStackConfig(host, kafkaPort, controllerPort, mqttPort, partitions,
                MQTT_MAX_MESSAGE_BYTES, dataDir, mqttAuthDir, tls), topics);
        stack.runKafka = which.contains("kafka");
        stack.runMqtt = which.contains("mqtt");
        return stack;
    }

    private static String secret(String value) {
        try {
            return value.startsWith("@") ? java.nio.file.Files.readString(Path.of(value.substring(1))).trim() : value;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read " + value.substring(1) + ": " + e.getMessage());
        }
    }

    private static int number(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a whole number, got '" + value + "'");
        }
    }

    /** Starts both brokers. */
    public void start() {
        if (runMqtt) {
            mqtt = new EmbeddedMqtt(config);
            mqtt.start();
        }
        if (runKafka) {
            kafka = new EmbeddedKafka(config);
            kafka.start(topics);
        }
    }

    /** The bootstrap servers string Kafka clients use. */
    public String kafkaBootstrapServers() {
        return config.host() + ":" + config.kafkaPort();
    }

    /** The MQTT broker URL. */
    public String mqttUrl() {
        return "tcp://" + config.host() + ":" + config.mqttPort();
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
