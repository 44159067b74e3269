package io.tandem.cloud.labels;

import io.tandem.cloud.drift.DriftMonitor;
import io.tandem.cloud.drift.DriftScore;
import io.tandem.cloud.store.SampleStore;
import io.tandem.proto.v1.LabelledSample;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides which stored samples a person should label, since human labels are the scarcest thing in the
 * loop: those most likely to change the teacher. A sample's priority is the teacher's own uncertainty on it
 * (one minus the margin between its two most likely classes) times {@code 0.25 + drift score} of the
 * sample's group, so the budget goes to confusing frames from drifting sites first. A sample handed out is
 * not handed out again for {@link #LEASE_MS}, so two annotators never label the same one.
 */
@ApplicationScoped
public class LabelQueue {

    /** How long a handed-out sample stays reserved for its annotator. */
    public static final long LEASE_MS = 10 * 60_000;

    @Inject
    SampleStore store;

    @Inject
    DriftMonitor drift;

    private final Map<String, Long> leasedUntil = new HashMap<>();

    /** A sample waiting for a person, with why it was chosen. */
    public record Candidate(String key, LabelledSample sample, double uncertainty, double priority) {
    }

    /**
     * Up to {@code limit} samples to label, most useful first; only from {@code group} when it is not empty. Each is
     * leased for {@link #LEASE_MS}, so two annotators are not handed the same sample.
     */
    public synchronized List<Candidate> next(int limit, String group) {
        long now = System.currentTimeMillis();
        List<Candidate> out = ranked(limit, group, now);
        out.forEach(c -> leasedUntil.put(c.key(), now + LEASE_MS));
        leasedUntil.values().removeIf(until -> until <= now);
        return out;
    }

    /** What {@link #next} would hand out now, without leasing anything: for views of the queue. */
    public synchronized List<Candidate> preview(int limit, String group) {
        return ranked(limit, group, System.currentTimeMillis());
    }

    private List<Candidate> ranked(int limit, String group, long now) {
        Map<String, Double> driftByGroup = new HashMap<>();
        for (DriftScore s : drift.scores()) {
            driftByGroup.put(s.group(), s.score());
        }
        List<Candidate> candidates = new ArrayList<>();
        for (LabelledSample s : store.trainingSet()) {
            String key = SampleStore.key(s);
            if ((!group.isEmpty() && !group.equals(s.getExample().getGroup())) || store.humanLabel(key).isPresent()
                    || leasedUntil.getOrDefault(key, 0L) > now) {
                continue;
            }
            double u = uncertainty(s.getTeacherLogitsList());
            candidates.add(new Candidate(key, s, u, u * (0.25 + driftByGroup.getOrDefault(s.getExample().getGroup(), 0.0))));
        }
        candidates.sort(Comparator.comparingDouble(Candidate::priority).reversed());
        return List.copyOf(candidates.subList(0, Math.min(limit, candidates.size())));
    }

    /** One minus the margin between the two most likely classes under the softmax of {@code logits}. */
    static double uncertainty(List<Float> logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[logits.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits.get(i) - max);
            sum += p[i];
        }
        double first = 0;
        double second = 0;
        for (double v : p) {
            double q = v / sum;
            if (q > first) {
                second = first;
                first = q;
            } else if (q > second) {
                second = q;
            }
        }
        return 1 - (first - second);
    }
}
