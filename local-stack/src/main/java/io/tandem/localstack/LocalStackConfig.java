package io.tandem.localstack;

import java.nio.file.Path;

/**
 * Where the local stack listens and keeps its data.
 *
 * @param host interface to bind; 127.0.0.1 unless you know why not
 * @param kafkaPort Kafka client port (default 9092)
 * @param kafkaControllerPort KRaft controller port (default 9093)
 * @param mqttPort MQTT port (default 1883)
 * @param partitions partitions of each topic created at start (default 4)
 * @param mqttMaxMessageBytes largest MQTT message the broker accepts (default 2 MiB)
 * @param dataDir folder for the Kafka log and the MQTT broker's persisted sessions and retained messages
 * @param mqttAuthDir folder of the MQTT broker's {@code passwords} and {@code acl} files ({@link FileAuth});
 *     null = anonymous clients may do anything (a local demo only)
 * @param mqttTls a TLS listener of the MQTT broker beside the plain one; null = none
 */
public record LocalStackConfig(String host, int kafkaPort, int kafkaControllerPort, int mqttPort, int partitions,
        int mqttMaxMessageBytes, Path dataDir, Path mqttAuthDir, TlsListener mqttTls) {

    /**
     * A TLS listener.
     *
     * @param port its port
     * @param keyStore PKCS12 file with the broker's private key and certificate
     * @param password the key store's password (also the key's)
     */
    public record TlsListener(int port, Path keyStore, String password) {
        /** Checks the values, naming the one that is wrong. */
        public TlsListener {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("MQTT TLS port " + port + " is outside 1..65535");
            }
            if (!java.nio.file.Files.isReadable(keyStore)) {
                throw new IllegalArgumentException("MQTT TLS key store " + keyStore + " cannot be read");
            }
        }
    }

    /** A configuration without a TLS listener. */
    public LocalStackConfig(String host, int kafkaPort, int kafkaControllerPort, int mqttPort, int partitions,
            int mqttMaxMessageBytes, Path dataDir, Path mqttAuthDir) {
        this(host, kafkaPort, kafkaControllerPort, mqttPort, partitions, mqttMaxMessageBytes, dataDir, mqttAuthDir,
                null);
    }

    /** A configuration with an anonymous MQTT broker. */
    public LocalStackConfig(String host, int kafkaPort, int kafkaControllerPort, int mqttPort, int partitions,
            int mqttMaxMessageBytes, Path dataDir) {
        this(host, kafkaPort, kafkaControllerPort, mqttPort, partitions, mqttMaxMessageBytes, dataDir, null, null);
    }

    /** Checks every value, naming the one out of range. */
    public LocalStackConfig {
        for (int port : new int[] {kafkaPort, kafkaControllerPort, mqttPort}) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is outside 1..65535");
            }
        }
        if (kafkaPort == kafkaControllerPort || kafkaPort == mqttPort || kafkaControllerPort == mqttPort
                || (mqttTls != null && java.util.List.of(kafkaPort, kafkaControllerPort, mqttPort).contains(mqttTls.port()))) {
            throw new IllegalArgumentException("Kafka, controller and MQTT ports must differ: " + kafkaPort + ", "
                    + kafkaControllerPort + ", " + mqttPort);
        }
        if (partitions < 1 || partitions > 64) {
            throw new IllegalArgumentException("partitions must be in 1..64, got " + partitions);
        }
        if (mqttMaxMessageBytes < 1024) {
            throw new IllegalArgumentException("MQTT message size limit must be at least 1024, got " + mqttMaxMessageBytes);
        }
    }
}
