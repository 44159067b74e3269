package io.tandem.cloud.brokers;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * The profile of the component tests against real brokers: bridge, labeler and fleet state on, retraining
 * off (it would train a student at start), rollouts by request only.
 */
public final class WithBrokers implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("tandem.bridge.enabled", "true", "tandem.labeler.enabled", "true", "tandem.fleet.enabled", "true",
                "tandem.retrain.enabled", "false", "tandem.rollout.auto", "false",
                "tandem.mqtt.client-id", "tandem-test-bridge");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(EmbeddedBrokers.class));
    }
}
