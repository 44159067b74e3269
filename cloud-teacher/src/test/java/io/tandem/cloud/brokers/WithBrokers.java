package io.tandem.cloud.brokers;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.List;
import java.util.Map;

/**
 * The profile of the component tests against real brokers: bridge, labeler and fleet state on, retraining
 * off (it would train a student at start), rollouts by request only.
 */
public class WithBrokers implements QuarkusTestProfile {

    /** A free port for the test server, chosen once per JVM. */
    static final int HTTP_PORT = freePort();

    private static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("no free port for the test server", e);
        }
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("tandem.bridge.enabled", "true", "tandem.labeler.enabled", "true", "tandem.fleet.enabled", "true",
                "tandem.retrain.enabled", "false", "tandem.rollout.auto", "false",
                "tandem.mqtt.client-id", "tandem-test-bridge",
                // Devices in the tests download artifacts from the test server, so its port must be known.
                "quarkus.http.test-port", Integer.toString(HTTP_PORT), "tandem.public-url", "http://127.0.0.1:" + HTTP_PORT);
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(EmbeddedBrokers.class));
    }
}
