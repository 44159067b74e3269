package io.tandem.fleet.scenario;

import io.tandem.edge.feed.Frame;
import io.tandem.edge.feed.FrameSource;
import io.tandem.edge.feed.SourceClosedException;
import java.util.Random;

/**
 * One simulated camera: renders frames of its group's current distribution, a fixed number per round, and
 * waits (as a camera between shifts would) until the scenario opens the next round. Frames carry an id and
 * no ground truth; the true class is recorded in {@link GroundTruth}.
 */
public final class ScenarioSource implements FrameSource {

    private final String deviceId;
    private final String group;
    private final long idBase;
    private final FramePools pools;
    private final GroundTruth truth;
    private final Random random;
    private Distribution distribution;
    private int round = -1;
    private int left;
    private long shown;
    private boolean closed;

    /** A camera of {@code group}; frame ids start at {@code deviceIndex << 32}. */
    public ScenarioSource(String deviceId, String group, int deviceIndex, FramePools pools, GroundTruth truth, long seed) {
        this.deviceId = deviceId;
        this.group = group;
        this.idBase = (long) deviceIndex << 32;
        this.pools = pools;
        this.truth = truth;
        this.random = new Random(seed * 1_000_003L + deviceIndex);
    }

    /** Starts a round: {@code frames} frames of {@code distribution}. */
    public synchronized void open(int round, Distribution distribution, int frames) {
        this.round = round;
        this.distribution = distribution;
        this.left = frames;
        notifyAll();
    }

    /** Frames of the current round not yet taken by the device. */
    public synchronized int left() {
        return left;
    }

    @Override
    public synchronized Frame next() {
        while (left == 0 && !closed) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SourceClosedException(deviceId + " camera (interrupted)");
            }
        }
        if (closed) {
            throw new SourceClosedException(deviceId + " camera");
        }
        left--;
        FramePools.Drawn d = pools.draw(distribution, random);
        long id = idBase | shown++;
        truth.record(new GroundTruth.Shown(id, deviceId, group, round, distribution.name(), d.label(), d.pixels()));
        return new Frame(id, d.pixels(), pools.rows(), pools.cols(), -1);
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }
}
