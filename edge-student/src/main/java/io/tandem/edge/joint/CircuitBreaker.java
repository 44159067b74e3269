package io.tandem.edge.joint;

/**
 * Stops asking a cloud that is failing: after {@code threshold} failures in a row (timeouts, errors) or one
 * "overloaded" answer, no request goes out for a while ({@code openNanos}, or the cloud's retry hint if
 * longer); then one trial request is let through, and its success closes the breaker again. Thread-safe;
 * time is passed in so the logic can be checked without waiting.
 */
public final class CircuitBreaker {

    /** The breaker's state. */
    public enum State { CLOSED, OPEN, HALF_OPEN }

    private final int threshold;
    private final long openNanos;
    private State state = State.CLOSED;
    private int failures;
    private long openUntil;
    private long opened;

    /** A breaker that opens after {@code threshold} failures in a row, for {@code openNanos}. */
    public CircuitBreaker(int threshold, long openNanos) {
        if (threshold < 1 || openNanos <= 0) {
            throw new IllegalArgumentException("circuit breaker needs threshold >= 1 and a positive open time");
        }
        this.threshold = threshold;
        this.openNanos = openNanos;
    }

    /** Whether a request may go out now; in the open state after its time, the first caller gets the trial. */
    public synchronized boolean allow(long now) {
        switch (state) {
            case CLOSED:
                return true;
            case OPEN:
                if (now - openUntil >= 0) {
                    state = State.HALF_OPEN;
                    return true;
                }
                return false;
            default:
                return false;
        }
    }

    /**
     * A request was answered in time. While open, a late answer to a request sent before it opened does not
     * close it; only the trial's answer or answers while closed count.
     */
    public synchronized void success() {
        if (state != State.OPEN) {
            state = State.CLOSED;
            failures = 0;
        }
    }

    /** A request failed or timed out. */
    public synchronized void failure(long now) {
        failures++;
        if (state == State.HALF_OPEN || failures >= threshold) {
            open(now, openNanos);
        }
    }

    /** The cloud said it is overloaded and when to retry. */
    public synchronized void overloaded(long now, long retryAfterNanos) {
        open(now, Math.max(openNanos, retryAfterNanos));
    }

    private void open(long now, long nanos) {
        if (state != State.OPEN) {
            opened++;
        }
        state = State.OPEN;
        openUntil = now + nanos;
        failures = 0;
    }

    /** The state now. */
    public synchronized State state() {
        return state;
    }

    /** How many times the breaker opened. */
    public synchronized long timesOpened() {
        return opened;
    }
}
