package io.tandem.cloud.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Counts every refused input by where it arrived and why, as the Micrometer counter
 * {@code tandem_rejected_inputs_total{where, reason}} (Prometheus format at {@code /q/metrics}), and logs one
 * line per refusal, without a stack trace: bad input is expected, and the operator needs the reason, not the
 * trace.
 */
@ApplicationScoped
public class Rejections {

    private static final Logger LOG = Logger.getLogger(Rejections.class);

    /** The counter's name. */
    public static final String METER = "tandem.rejected.inputs";

    @Inject
    MeterRegistry registry;

    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    /** Counts into a registry of its own (outside the service, as in unit tests). */
    public static Rejections standalone() {
        Rejections r = new Rejections();
        r.registry = new SimpleMeterRegistry();
        return r;
    }

    /** Records one refused input. */
    public void reject(String where, String reason, String detail) {
        Counter c = counters.computeIfAbsent(where + "/" + reason, k -> Counter.builder(METER)
                .description("Inputs refused, by where they arrived and why").tag("where", where).tag("reason", reason)
                .register(registry));
        c.increment();
        LOG.warnf("rejected %s input (%s, %d so far): %s", where, reason, (long) c.count(), detail);
    }

    /** Total refusals. */
    public long total() {
        return counters.values().stream().mapToLong(c -> (long) c.count()).sum();
    }

    /** Counts by {@code where/reason}, sorted. */
    public Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        counters.forEach((k, v) -> out.put(k, (long) v.count()));
        return out;
    }
}
