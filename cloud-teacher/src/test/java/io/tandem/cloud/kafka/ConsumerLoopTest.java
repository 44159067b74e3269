package io.tandem.cloud.kafka;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.cloud.brokers.EmbeddedBrokers;
import io.tandem.cloud.brokers.Wire;
import io.tandem.cloud.brokers.WithBrokers;
import io.tandem.proto.Topics;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * A worker on a real Kafka broker survives what would have killed its thread (an Error), retries a failing
 * batch, and moves a poison record to the dead-letter topic so the records behind it are handled.
 */
@QuarkusTest
@TestProfile(WithBrokers.class)
class ConsumerLoopTest {

    @Inject
    KafkaClients kafka;

    @Test
    void aPoisonRecordIsDeadLetteredAndTheRestIsHandledAndAnErrorDoesNotKillTheWorker() throws Exception {
        String topic = "tandem.test-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", EmbeddedBrokers.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        List<String> handled = new CopyOnWriteArrayList<>();
        AtomicBoolean errorOnce = new AtomicBoolean(true);
        try (ConsumerLoop loop = new ConsumerLoop("test-worker", kafka.consumer("test-" + topic), List.of(topic),
                records -> records.forEach(r -> {
                    String v = new String(r.value(), StandardCharsets.UTF_8);
                    if (v.equals("boom") && errorOnce.getAndSet(false)) {
                        throw new StackOverflowError("a bug deep in the handler");
                    }
                    if (v.equals("poison")) {
                        throw new IllegalStateException("cannot handle " + v);
                    }
                    handled.add(v);
                }), kafka.producer())) {
            for (String v : List.of("a", "boom", "b", "poison", "c")) {
                kafka.producer().send(new ProducerRecord<>(topic, v.getBytes(StandardCharsets.UTF_8))).get();
            }
            assertTrue(Wire.eventually(Duration.ofSeconds(60), () -> handled.contains("c")),
                    "records behind the poison record are handled: " + handled);
            assertTrue(handled.containsAll(List.of("a", "boom", "b", "c")), handled.toString());
            assertEquals(1L, loop.health().get("dead_lettered"));
            assertTrue((Boolean) loop.health().get("alive"), "the thread outlived an Error");
            given().get("/api/health").then().statusCode(200).body(containsString("test-worker"));
        }
        try (KafkaConsumer<String, byte[]> dl = kafka.consumer("dl-" + topic)) {
            dl.subscribe(Set.of(Topics.KAFKA_DEAD_LETTERS));
            boolean found = false;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!found && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : dl.poll(Duration.ofMillis(500))) {
                    found |= r.key().startsWith(topic + "/0@") && new String(r.value(), StandardCharsets.UTF_8)
                            .equals("poison") && new String(r.headers().lastHeader("error").value(),
                            StandardCharsets.UTF_8).contains("cannot handle poison");
                }
            }
            assertTrue(found, "the poison record is in " + Topics.KAFKA_DEAD_LETTERS + " with its error");
        }
    }
}
