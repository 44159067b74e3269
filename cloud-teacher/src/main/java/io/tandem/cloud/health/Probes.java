package io.tandem.cloud.health;

import io.tandem.cloud.bridge.MqttKafkaBridge;
import io.tandem.cloud.db.Database;
import io.tandem.cloud.kafka.ConsumerLoop;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.util.Map;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;

/**
 * The service's probes ({@code /q/health/live}, {@code /q/health/ready}): alive while every consumer loop
 * polls; ready when, besides, the bridge has an MQTT connection and the database answers.
 */
public final class Probes {

    private Probes() {
    }

    /** Each consumer loop has polled within its deadline (a dead or stuck worker makes the service not live). */
    @Liveness
    @ApplicationScoped
    public static class Workers implements HealthCheck {
        @Override
        public HealthCheckResponse call() {
            HealthCheckResponseBuilder b = HealthCheckResponse.named("consumer-loops").up();
            for (Map.Entry<String, ConsumerLoop> e : ConsumerLoop.all().entrySet()) {
                Map<String, Object> h = e.getValue().health();
                b.withData(e.getKey(), String.valueOf(h));
                if (!Boolean.TRUE.equals(h.get("up"))) {
                    b.down();
                }
            }
            return b.build();
        }
    }

    /** The bridge reaches the MQTT broker (one connection at least) when it runs. */
    @Readiness
    @ApplicationScoped
    public static class Bridge implements HealthCheck {
        @Inject
        MqttKafkaBridge bridge;

        @Override
        public HealthCheckResponse call() {
            int n = bridge.connections();
            int up = bridge.connectedLinks();
            return HealthCheckResponse.named("mqtt-bridge").status(n == 0 || up > 0)
                    .withData("connections", n).withData("connected", up).build();
        }
    }

    /** The control plane's database answers. */
    @Readiness
    @ApplicationScoped
    public static class Db implements HealthCheck {
        @Inject
        Database database;

        @Override
        public HealthCheckResponse call() {
            try (Connection c = database.connection()) {
                return HealthCheckResponse.named("database").status(c.isValid(2)).build();
            } catch (Exception e) {
                return HealthCheckResponse.named("database").down().withData("error", String.valueOf(e.getMessage()))
                        .build();
            }
        }
    }
}
