package io.tandem.cloud.metrics;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Counts every refused input by where it arrived and why, and logs one line per refusal, without a stack
 * trace: bad input is expected, and the operator needs the reason, not the trace.
 */
@ApplicationScoped
public class Rejections {

    private static final Logger LOG = Logger.getLogger(Rejections.class);

    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    /** Records one refused input. */
    public void reject(String where, String reason, String detail) {
        long n = counts.computeIfAbsent(where + "/" + reason, k -> new AtomicLong()).incrementAndGet();
        LOG.warnf("rejected %s input (%s, %d so far): %s", where, reason, n, detail);
    }

    /** Total refusals. */
    public long total() {
        return counts.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** Counts by {@code where/reason}, sorted. */
    public Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }
}
