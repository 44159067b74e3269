package io.tandem.cloud.store;

import io.tandem.proto.v1.HumanLabel;
import io.tandem.proto.v1.LabelledSample;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the sample store keeps in memory, bounded however long the service runs: the most recent
 * {@code windowSamples} samples (the training window), every sample a person labelled (pinned: the human
 * budget bounds them), the human labels, and the fingerprints of the last {@code dedupeKeys} keys, enough to
 * recognise a Kafka redelivery and a device that reused its sequence numbers. Older samples stay in the
 * store's file only. Not thread-safe: the store synchronises.
 */
final class SampleWindow {

    /** How a sample arriving under a key relates to what was stored under it. */
    enum Arrival {
        /** The key is not known. */
        NEW,
        /** The same content under the same key: a redelivery. */
        REDELIVERY,
        /** Other content under a known key: a device reused its sequence numbers. */
        CONFLICT
    }

    private final int windowSamples;
    private final Map<String, LabelledSample> recent;
    private final Map<String, LabelledSample> pinned = new LinkedHashMap<>();
    private final Map<String, HumanLabel> humanLabels = new LinkedHashMap<>();
    private final Map<String, Long> fingerprints;
    private long stored;
    private long leftWindow;

    SampleWindow(int windowSamples, int dedupeKeys) {
        if (windowSamples < 1 || dedupeKeys < windowSamples) {
            throw new IllegalArgumentException("the window needs at least 1 sample and the dedupe index at least as"
                    + " many keys as the window (window " + windowSamples + ", dedupe keys " + dedupeKeys + ")");
        }
        this.windowSamples = windowSamples;
        this.recent = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, LabelledSample> eldest) {
                if (size() <= SampleWindow.this.windowSamples) {
                    return false;
                }
                leftWindow++;
                if (humanLabels.containsKey(eldest.getKey())) {
                    pinned.put(eldest.getKey(), eldest.getValue());
                }
                return true;
            }
        };
        this.fingerprints = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > dedupeKeys;
            }
        };
    }

    /** How a sample arriving under this key relates to what was stored under it. */
    Arrival classify(String key, LabelledSample sample) {
        Long known = fingerprints.get(key);
        if (known == null) {
            return Arrival.NEW;
        }
        return known == fingerprint(sample) ? Arrival.REDELIVERY : Arrival.CONFLICT;
    }

    /** Whether a key is in the dedupe index. */
    boolean known(String key) {
        return fingerprints.containsKey(key);
    }

    /** Keeps a stored sample under its key. */
    void add(String key, LabelledSample sample) {
        fingerprints.put(key, fingerprint(sample));
        pinned.remove(key);
        recent.put(key, sample);
        stored++;
    }

    /** Keeps a person's label; the labelled sample stays in memory after it leaves the window. */
    void label(String key, HumanLabel label) {
        humanLabels.put(key, label);
    }

    /** The sample held under a key, if it is in the window or pinned by a label. */
    Optional<LabelledSample> sample(String key) {
        LabelledSample s = recent.get(key);
        return Optional.ofNullable(s != null ? s : pinned.get(key));
    }

    Optional<HumanLabel> humanLabel(String key) {
        return Optional.ofNullable(humanLabels.get(key));
    }

    /** Samples stored since the store was created, including those that left the window. */
    long stored() {
        return stored;
    }

    /** Samples that left the window. */
    long leftWindow() {
        return leftWindow;
    }

    long humanLabels() {
        return humanLabels.size();
    }

    int windowSamples() {
        return windowSamples;
    }

    /** The training set: labelled samples that left the window, then the window in arrival order. */
    List<LabelledSample> trainingSet() {
        List<LabelledSample> out = new ArrayList<>(pinned.size() + recent.size());
        out.addAll(pinned.values());
        out.addAll(recent.values());
        return out;
    }

    /** 64 bits of the SHA-256 of a sample's device incarnation and input: what tells a redelivery from a reuse. */
    static long fingerprint(LabelledSample sample) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(sample.getExample().getIncarnation().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sample.getExample().getInput().getData().asReadOnlyByteBufferList().forEach(sha::update);
            return ByteBuffer.wrap(sha.digest()).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
