package io.tandem.cloud.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The start-up check names every out-of-range key, on the real configuration mapping. */
class ConfigCheckTest {

    private static List<String> problems(Map<String, String> values) {
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(TandemConfig.class)
                .withSources(new PropertiesConfigSource(values, "test", 500)).build();
        return ConfigCheck.problems(config.getConfigMapping(TandemConfig.class));
    }

    @Test
    void theDefaultsPass() {
        assertEquals(List.of(), problems(Map.of()));
    }

    @Test
    void eachOutOfRangeValueIsNamedByItsKey() {
        Map<String, String> bad = Map.ofEntries(Map.entry("tandem.retrain.threshold", "0"),
                Map.entry("tandem.retrain.max-rounds", "-1"), Map.entry("tandem.retrain.base-limit", "0"),
                Map.entry("tandem.retrain.eval-limit", "0"), Map.entry("tandem.retrain.alpha", "1.5"),
                Map.entry("tandem.rollout.confidence-threshold", "1.5"), Map.entry("tandem.rollout.fleet", "../x"),
                Map.entry("tandem.teacher.threads", "0"), Map.entry("tandem.kafka.topic-partitions", "0"),
                Map.entry("tandem.kafka.topic-replication-factor", "0"), Map.entry("tandem.kafka.linger-ms", "5000"),
                Map.entry("tandem.kafka.delivery-timeout-ms", "10"), Map.entry("tandem.kafka.max-poll-records", "0"),
                Map.entry("tandem.mqtt.max-inflight", "5"), Map.entry("tandem.mqtt.keep-alive-seconds", "0"),
                Map.entry("tandem.public-url", "ftp://x"));
        List<String> problems = problems(bad);
        for (String key : List.of("tandem.retrain.threshold", "tandem.retrain.max-rounds", "tandem.retrain.base-limit",
                "tandem.retrain.eval-limit", "tandem.retrain.*", "tandem.rollout.confidence-threshold",
                "tandem.rollout.fleet", "tandem.teacher.threads", "tandem.kafka.topic-partitions",
                "tandem.kafka.topic-replication-factor", "tandem.kafka.linger-ms", "tandem.kafka.delivery-timeout-ms",
                "tandem.kafka.max-poll-records", "tandem.mqtt.max-inflight", "tandem.mqtt.keep-alive-seconds",
                "tandem.public-url")) {
            assertTrue(problems.stream().anyMatch(p -> p.startsWith(key)), key + " is named: " + problems);
        }
        assertEquals(16, problems.size(), "one problem per bad key: " + problems);
    }

    @Test
    void aValueAtTheEdgeOfItsRangePasses() {
        assertEquals(List.of(), problems(Map.of("tandem.retrain.threshold", "1", "tandem.kafka.linger-ms", "1000",
                "tandem.mqtt.max-inflight", "10", "tandem.rollout.confidence-threshold", "1")));
    }

    @Test
    void beanValidationNamesNestedKeysAndListElements() {
        List<String> problems = problems(Map.of("tandem.retrain.int8", "fast", "tandem.joint.max-batch", "0",
                "tandem.dashboard.drift-onset", "2", "tandem.triggers[0].metric", "drift_score", "tandem.triggers[0].threshold", "0.2",
                "tandem.triggers[0].check-period-seconds", "0"));
        assertTrue(problems.contains("tandem.retrain.int8 must be auto, qdq, weight-only or off, got fast"), problems.toString());
        assertTrue(problems.contains("tandem.joint.max-batch must be greater than or equal to 1, got 0"), problems.toString());
        assertTrue(problems.contains("tandem.dashboard.drift-onset must be less than or equal to 1, got 2.0"),
                problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("tandem.triggers[0].check-period-seconds")),
                problems.toString());
    }
}
