package io.tandem.edge.joint;

/**
 * A token bucket: at most {@code perSecond} requests a second on average, with bursts of up to a tenth of
 * a second's worth (at least one). Thread-safe; time is passed in.
 */
public final class RateLimiter {

    private final double perNano;
    private final double burst;
    private double tokens;
    private long last;

    /** A limiter of {@code perSecond} (> 0) requests a second, starting full, at time {@code now}. */
    public RateLimiter(double perSecond, long now) {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("rate must be positive, got " + perSecond);
        }
        this.perNano = perSecond / 1e9;
        this.burst = Math.max(1, perSecond / 10);
        this.tokens = burst;
        this.last = now;
    }

    /** Takes a token if there is one. */
    public synchronized boolean tryAcquire(long now) {
        tokens = Math.min(burst, tokens + (now - last) * perNano);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
