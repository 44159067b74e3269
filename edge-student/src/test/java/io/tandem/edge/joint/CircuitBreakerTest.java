package io.tandem.edge.joint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private static final long MS = 1_000_000;

    @Test
    void opensAfterFailuresInARowLetsOneTrialThroughAndClosesOnItsSuccess() {
        CircuitBreaker b = new CircuitBreaker(3, 100 * MS);
        b.failure(0);
        b.failure(1);
        b.success();
        b.failure(2);
        b.failure(3);
        assertEquals(CircuitBreaker.State.CLOSED, b.state(), "a success in between resets the count");
        b.failure(4);
        assertEquals(CircuitBreaker.State.OPEN, b.state());
        b.success();
        assertEquals(CircuitBreaker.State.OPEN, b.state(), "a late answer to an earlier request does not close it");
        assertFalse(b.allow(50 * MS));
        assertTrue(b.allow(104 * MS), "after the open time one trial goes out");
        assertFalse(b.allow(105 * MS), "and only one");
        b.failure(106 * MS);
        assertEquals(CircuitBreaker.State.OPEN, b.state(), "a failed trial opens it again");
        assertFalse(b.allow(150 * MS));
        assertTrue(b.allow(206 * MS));
        b.success();
        assertEquals(CircuitBreaker.State.CLOSED, b.state());
        assertTrue(b.allow(207 * MS));
        assertEquals(2, b.timesOpened());
    }

    @Test
    void anOverloadedAnswerOpensAtOnceForTheRetryHintIfLonger() {
        CircuitBreaker b = new CircuitBreaker(5, 100 * MS);
        b.overloaded(0, 1_000 * MS);
        assertFalse(b.allow(500 * MS));
        assertTrue(b.allow(1_000 * MS));
    }

    @Test
    void theRateLimiterKeepsTheAverageAndAllowsSmallBursts() {
        RateLimiter r = new RateLimiter(100, 0);
        int allowed = 0;
        for (long t = 0; t < 1_000 * MS; t += MS / 10) {
            if (r.tryAcquire(t)) {
                allowed++;
            }
        }
        assertTrue(allowed >= 100 && allowed <= 111, "about 100 a second plus a burst of 10, got " + allowed);
    }
}
