package io.tandem.fleet.scenario;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every frame the scenario showed a device, by the frame id the device reports back: its group, round,
 * distribution, true class and pixels. It never leaves the simulator; the loop learns a true class only
 * when the simulated annotator is asked for it.
 */
public final class GroundTruth {

    /**
     * One shown frame.
     *
     * @param frameId the id the device reports with the frame's result and hard example
     * @param deviceId the device that saw it
     * @param group its group
     * @param round the round it was shown in
     * @param distribution the distribution it was rendered with
     * @param label its true class
     * @param pixels what the device saw
     */
    public record Shown(long frameId, String deviceId, String group, int round, String distribution, int label,
            byte[] pixels) {
    }

    private final Map<Long, Shown> frames = new ConcurrentHashMap<>();

    void record(Shown shown) {
        frames.put(shown.frameId(), shown);
    }

    /** The frame with this id, if the scenario showed it. */
    public Optional<Shown> frame(long frameId) {
        return Optional.ofNullable(frames.get(frameId));
    }

    /** Every frame shown so far. */
    public Collection<Shown> all() {
        return frames.values();
    }
}
