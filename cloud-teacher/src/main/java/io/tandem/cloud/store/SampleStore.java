package io.tandem.cloud.store;

import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.proto.Codec;
import io.tandem.proto.Codecs;
import io.tandem.proto.RecordFiles;
import io.tandem.proto.v1.HumanLabel;
import io.tandem.proto.v1.LabelledSample;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The labelled-sample store: one append-only file of checksummed teacher-labelled samples
 * ({@code labelled.rec}) and one of human labels ({@code human-labels.rec}), repaired at start after a crash
 * ({@link RecordFiles#recover}). Each sample is kept once per (device, sequence), so a
 * redelivered Kafka record is not stored twice. {@link #sync()} makes everything appended so far durable;
 * the labeler commits Kafka offsets only after it. Memory stays bounded however long the service runs
 * ({@link SampleWindow}): the most recent {@code tandem.store.window-samples} samples are the training set,
 * with every sample a person labelled; older ones stay in the file.
 */
@ApplicationScoped
public class SampleStore {

    private static final Logger LOG = Logger.getLogger(SampleStore.class);

    @Inject
    TandemConfig config;

    @Inject
    Rejections rejections;

    private SampleWindow memory;
    /** Per partition of {@code tandem.samples}, the offset after the last stored record. */
    private final Map<Integer, Long> nextOffsets = new HashMap<>();
    private boolean repairedAtStart;
    private Appender sampleFile;
    private Appender labelFile;

    /** What became of a human label. */
    public enum LabelOutcome {
        /** Stored (a later label for the same sample replaces an earlier one). */
        STORED,
        /** No stored sample has this device and sequence. */
        UNKNOWN_SAMPLE,
        /** The sample is stored but older than the training window: a label would not be used. */
        OUTSIDE_WINDOW,
        /** The label is not one of the sample's classes. */
        OUT_OF_RANGE
    }

    /** One append-only record file. */
    private static final class Appender {
        final Path file;
        final FileChannel channel;
        final DataOutputStream out;

        Appender(Path file) throws IOException {
            this.file = file;
            this.channel = RecordFiles.openForAppend(file);
            this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
        }
    }

    @PostConstruct
    void open() {
        Path dir = config.dataDir().resolve("samples");
        Path sampleFilePath = dir.resolve("labelled.rec");
        Path labelFilePath = dir.resolve("human-labels.rec");
        memory = new SampleWindow(config.store().windowSamples(), config.store().dedupeKeys());
        load(labelFilePath, Codecs.HUMAN_LABEL, l -> memory.label(key(l.getDeviceId(), l.getSequence(),
                l.getIncarnation()), l));
        repairedAtStart = load(sampleFilePath, Codecs.LABELLED_SAMPLE, s -> {
            memory.add(key(s), s);
            advance(s);
        });
        try {
            sampleFile = new Appender(sampleFilePath);
            labelFile = new Appender(labelFilePath);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open sample store in " + dir, e);
        }
        LOG.infof("sample store %s holds %d labelled samples (%d in the training window) and %d human labels", dir,
                memory.stored(), memory.trainingSet().size(), memory.humanLabels());
    }

    /**
     * Reads a store file and makes it safe to append to: a record torn by a crash at the end is cut off,
     * content that cannot be framed is moved aside with the good records kept; both are counted.
     */
    private <T extends com.google.protobuf.Message> boolean load(Path file, Codec<T> codec,
            java.util.function.Consumer<T> sink) {
        RecordFiles.Recovery r = RecordFiles.recover(file, codec, sink,
                e -> rejections.reject("sample-store", e.reason().name(), e.getMessage()));
        if (r.movedAside() != null) {
            rejections.reject("sample-store", "UNFRAMED", file + ": content after byte " + r.read().goodLength()
                    + " cannot be framed; moved to " + r.movedAside() + ", " + r.read().records() + " good records kept");
            LOG.warnf("%s could not be framed after byte %d: moved to %s, %d good records kept", file,
                    r.read().goodLength(), r.movedAside(), r.read().records());
        } else if (r.bytesCut() > 0) {
            rejections.reject("sample-store", "TORN_TAIL", file + ": " + r.bytesCut()
                    + " bytes of a record torn by a crash cut off");
            LOG.warnf("%s ended in a record torn by a crash: %d bytes cut off, %d records kept", file, r.bytesCut(),
                    r.read().records());
        }
        return r.movedAside() != null || r.bytesCut() > 0;
    }

    private void advance(LabelledSample s) {
        nextOffsets.merge(s.getKafkaPartition(), s.getKafkaOffset() + 1, Math::max);
    }

    /**
     * Where the labeler must resume on each partition of {@code tandem.samples} so that no sample is missing:
     * after the last stored record, when the store lost records at start (a torn or unframeable file whose
     * offsets Kafka had already seen committed); empty otherwise, when the committed offsets are right.
     */
    public synchronized Map<Integer, Long> resumeOffsets() {
        return repairedAtStart ? Map.copyOf(nextOffsets) : Map.of();
    }

    /** The key of a sample: its device and sequence. */
    public static String key(String deviceId, long sequence) {
        return deviceId + "#" + sequence;
    }

    /** The key a stored sample is held under: its device and sequence, or its store key after a conflict. */
    public static String key(LabelledSample s) {
        return s.getStoreKey().isEmpty() ? key(s.getExample().getDeviceId(), s.getExample().getSequence())
                : s.getStoreKey();
    }

    /** The key of a sample whose device reused a sequence number: the device's incarnation is added. */
    public static String key(String deviceId, long sequence, String incarnation) {
        return incarnation.isEmpty() ? key(deviceId, sequence) : key(deviceId, sequence) + "@" + incarnation;
    }

    /**
     * Appends a sample unless it is one already stored (same device, sequence, incarnation and input: a
     * redelivery); true when appended. The same device and sequence with other content (a device whose work
     * folder was wiped or cloned) is no redelivery: it is stored under a key with its incarnation and
     * counted as an alarm, never dropped.
     */
    public synchronized boolean append(LabelledSample sample) {
        String key = key(sample);
        SampleWindow.Arrival arrival = memory.classify(key, sample);
        if (arrival == SampleWindow.Arrival.REDELIVERY) {
            return false;
        }
        if (arrival == SampleWindow.Arrival.CONFLICT) {
            String other = key(sample.getExample().getDeviceId(), sample.getExample().getSequence(),
                    sample.getExample().getIncarnation().isEmpty() ? "x" + sample.getKafkaOffset()
                            : sample.getExample().getIncarnation());
            if (memory.classify(other, sample) == SampleWindow.Arrival.REDELIVERY) {
                return false;
            }
            rejections.reject("sample-store", "SEQUENCE_REUSED", key + " arrived again with other content"
                    + " (incarnation " + sample.getExample().getIncarnation() + "): kept as " + other);
            LOG.warnf("%s arrived again with other content: the device reused its sequence numbers; kept as %s",
                    key, other);
            sample = sample.toBuilder().setStoreKey(other).build();
            key = other;
        }
        try {
            RecordFiles.append(sampleFile.out, Codecs.LABELLED_SAMPLE, sample);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to sample store " + sampleFile.file, e);
        }
        memory.add(key, sample);
        advance(sample);
        return true;
    }

    /** Stores a person's label for a stored sample, checked against the sample's classes. */
    public synchronized LabelOutcome addHumanLabel(HumanLabel label) {
        String key = key(label.getDeviceId(), label.getSequence(), label.getIncarnation());
        Optional<LabelledSample> held = memory.sample(key);
        if (held.isEmpty()) {
            return memory.known(key) ? LabelOutcome.OUTSIDE_WINDOW : LabelOutcome.UNKNOWN_SAMPLE;
        }
        LabelledSample s = held.get();
        if (label.getLabel() < 0 || label.getLabel() >= s.getTeacherLogitsCount()) {
            return LabelOutcome.OUT_OF_RANGE;
        }
        try {
            RecordFiles.append(labelFile.out, Codecs.HUMAN_LABEL, label);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + labelFile.file, e);
        }
        memory.label(key, label);
        sync();
        return LabelOutcome.STORED;
    }

    /** Flushes and fsyncs what was appended. */
    public synchronized void sync() {
        for (Appender a : List.of(sampleFile, labelFile)) {
            try {
                a.out.flush();
                a.channel.force(false);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot sync " + a.file, e);
            }
        }
    }

    /** Number of samples stored, including those older than the training window. */
    public synchronized long size() {
        return memory.stored();
    }

    /** Number of stored samples that left the training window (they stay in the file). */
    public synchronized long leftWindow() {
        return memory.leftWindow();
    }

    /** The training window's size in samples. */
    public int windowSamples() {
        return memory.windowSamples();
    }

    /** Number of samples a person labelled. */
    public synchronized long humanLabels() {
        return memory.humanLabels();
    }

    /** The stored sample with this key, if it is in the training window or a person labelled it. */
    public synchronized Optional<LabelledSample> sample(String key) {
        return memory.sample(key);
    }

    /** The person's label of a sample, if it has one. */
    public synchronized Optional<HumanLabel> humanLabel(String key) {
        return memory.humanLabel(key);
    }

    /**
     * The training set: the most recent {@code tandem.store.window-samples} samples in arrival order, after
     * the older samples a person labelled.
     */
    public synchronized List<LabelledSample> trainingSet() {
        return memory.trainingSet();
    }

    @PreDestroy
    synchronized void close() {
        for (Appender a : List.of(sampleFile, labelFile)) {
            try {
                a.out.flush();
                a.channel.force(false);
                a.out.close();
            } catch (IOException | UncheckedIOException e) {
                LOG.warnf("closing %s: %s", a.file, e.getMessage());
            }
        }
    }
}
