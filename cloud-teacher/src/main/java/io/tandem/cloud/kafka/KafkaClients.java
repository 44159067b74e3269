package io.tandem.cloud.kafka;

import io.tandem.cloud.config.TandemConfig;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Creates the service's Kafka clients with one set of settings: durable producer, manual-commit consumers. */
@ApplicationScoped
public class KafkaClients {

    @Inject
    TandemConfig config;

    private KafkaProducer<String, byte[]> producer;

    /** The shared idempotent producer ({@code acks=all}); created on first use. */
    public synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Map<String, Object> p = new HashMap<>();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
            p.put(ProducerConfig.LINGER_MS_CONFIG, config.kafka().lingerMs());
            p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 << 20);
            // Room for a few hundred hard examples per partition and request (the default, 16 KiB, holds ~17).
            p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 << 10);
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, config.kafka().deliveryTimeoutMs());
            p.put(ProducerConfig.CLIENT_ID_CONFIG, "tandem-bridge");
            producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        }
        return producer;
    }

    /** A consumer in {@code group} that commits offsets only when told to. */
    public KafkaConsumer<String, byte[]> consumer(String group) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.kafka().maxPollRecords());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, group);
        // Static membership: a cloud restarted after a crash takes its partitions back at once instead of
        // waiting for the dead member's session to time out (45 s), during which nothing would be labelled.
        c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, group + "." + instanceId().replaceAll("[^A-Za-z0-9._-]", "_"));
        return new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** This service's stable name among several sharing the consumer groups: configured, else the host name. */
    String instanceId() {
        return config.kafka().instanceId().orElseGet(() -> {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException e) {
                return "tandem-cloud";
            }
        });
    }

    @PreDestroy
    synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
            producer = null;
        }
    }
}
