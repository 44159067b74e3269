package io.tandem.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node Kafka broker in KRaft mode (combined broker and controller, no ZooKeeper), bound to
 * 127.0.0.1. Its log folder is formatted on first start and reused after.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private final LocalStackConfig config;
    private KafkaRaftServer server;

    /** Creates, but does not start, a broker. */
    public EmbeddedKafka(LocalStackConfig config) {
        this.config = config;
    }

    /** The bootstrap servers string clients use. */
    public String bootstrapServers() {
        return config.host() + ":" + config.kafkaPort();
    }

    /** Formats storage if needed, starts the broker and creates Tandem's topics. */
    public void start(List<String> topics) {
        Path logDir = config.dataDir().resolve("kafka");
        try {
            Files.createDirectories(logDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Kafka log folder " + logDir, e);
        }
        Map<String, Object> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@" + config.host() + ":" + config.kafkaControllerPort());
        props.put("listeners", "PLAINTEXT://" + config.host() + ":" + config.kafkaPort()
                + ",CONTROLLER://" + config.host() + ":" + config.kafkaControllerPort());
        props.put("advertised.listeners", "PLAINTEXT://" + config.host() + ":" + config.kafkaPort());
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", logDir.toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("auto.create.topics.enable", "false");
        // The default dedupe buffer takes 128 MiB of heap; a demo broker needs far less.
        props.put("log.cleaner.dedupe.buffer.size", Integer.toString(4 << 20));
        props.put("num.network.threads", "2");
        props.put("num.io.threads", "2");
        props.put("message.max.bytes", Integer.toString(2 << 20));
        KafkaConfig kafkaConfig = new KafkaConfig(props, false);
        format(logDir);
        server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM);
        server.startup();
        createTopics(topics);
    }

    private void format(Path logDir) {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        try {
            new Formatter().setPrintStream(System.out).setNodeId(1).setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(logDir.toString())).setMetadataLogDirectory(logDir.toString())
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION).setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setControllerListenerName("CONTROLLER").setIgnoreFormatted(true).run();
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka storage in " + logDir + ": " + e.getMessage(), e);
        }
    }

    private void createTopics(List<String> topics) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (String topic : topics) {
                if (!existing.contains(topic)) {
                    missing.add(new NewTopic(topic, config.partitions(), (short) 1));
                }
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(60, TimeUnit.SECONDS);
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create topics " + topics + ": " + e.getCause().getMessage(), e);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topics " + topics + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }
}
