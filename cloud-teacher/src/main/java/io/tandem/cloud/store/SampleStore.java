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
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The labelled-sample store: one append-only file of teacher-labelled samples ({@code labelled.rec}) and one
 * of human labels ({@code human-labels.rec}). Each sample is kept once per (device, sequence), so a
 * redelivered Kafka record is not stored twice. {@link #sync()} makes everything appended so far durable;
 * the labeler commits Kafka offsets only after it. Samples are also held in memory, in arrival order.
 */
@ApplicationScoped
public class SampleStore {

    private static final Logger LOG = Logger.getLogger(SampleStore.class);

    @Inject
    TandemConfig config;

    @Inject
    Rejections rejections;

    private final Map<String, LabelledSample> samples = new LinkedHashMap<>();
    private final Map<String, HumanLabel> humanLabels = new LinkedHashMap<>();
    private Appender sampleFile;
    private Appender labelFile;

    /** What became of a human label. */
    public enum LabelOutcome {
        /** Stored (a later label for the same sample replaces an earlier one). */
        STORED,
        /** No stored sample has this device and sequence. */
        UNKNOWN_SAMPLE,
        /** The label is not one of the sample's classes. */
        OUT_OF_RANGE
    }

    /** One append-only record file. */
    private static final class Appender {
        final Path file;
        final FileOutputStream fileOut;
        final DataOutputStream out;

        Appender(Path file) throws IOException {
            this.file = file;
            Files.createDirectories(file.getParent());
            this.fileOut = new FileOutputStream(file.toFile(), true);
            this.out = new DataOutputStream(new BufferedOutputStream(fileOut, 1 << 16));
        }
    }

    @PostConstruct
    void open() {
        Path dir = config.dataDir().resolve("samples");
        Path sampleFilePath = dir.resolve("labelled.rec");
        Path labelFilePath = dir.resolve("human-labels.rec");
        load(sampleFilePath, Codecs.LABELLED_SAMPLE, s -> samples.put(key(s), s));
        load(labelFilePath, Codecs.HUMAN_LABEL, l -> humanLabels.put(key(l.getDeviceId(), l.getSequence()), l));
        try {
            sampleFile = new Appender(sampleFilePath);
            labelFile = new Appender(labelFilePath);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open sample store in " + dir, e);
        }
        LOG.infof("sample store %s holds %d labelled samples and %d human labels", dir, samples.size(),
                humanLabels.size());
    }

    private <T extends com.google.protobuf.Message> void load(Path file, Codec<T> codec, java.util.function.Consumer<T> sink) {
        RecordFiles.ReadSummary summary = RecordFiles.read(file, codec, sink,
                e -> rejections.reject("sample-store", e.reason().name(), e.getMessage()));
        if (summary.truncatedTail()) {
            LOG.warnf("%s ends in a partly written record (a crash); it is ignored", file);
        }
    }

    /** The key of a sample: its device and sequence. */
    public static String key(String deviceId, long sequence) {
        return deviceId + "#" + sequence;
    }

    private static String key(LabelledSample s) {
        return key(s.getExample().getDeviceId(), s.getExample().getSequence());
    }

    /** Appends a sample unless one with the same device and sequence is stored; true when appended. */
    public synchronized boolean append(LabelledSample sample) {
        String key = key(sample);
        if (samples.containsKey(key)) {
            return false;
        }
        try {
            RecordFiles.append(sampleFile.out, Codecs.LABELLED_SAMPLE, sample);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to sample store " + sampleFile.file, e);
        }
        samples.put(key, sample);
        return true;
    }

    /** Stores a person's label for a stored sample, checked against the sample's classes. */
    public synchronized LabelOutcome addHumanLabel(HumanLabel label) {
        String key = key(label.getDeviceId(), label.getSequence());
        LabelledSample s = samples.get(key);
        if (s == null) {
            return LabelOutcome.UNKNOWN_SAMPLE;
        }
        if (label.getLabel() < 0 || label.getLabel() >= s.getTeacherLogitsCount()) {
            return LabelOutcome.OUT_OF_RANGE;
        }
        try {
            RecordFiles.append(labelFile.out, Codecs.HUMAN_LABEL, label);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + labelFile.file, e);
        }
        humanLabels.put(key, label);
        sync();
        return LabelOutcome.STORED;
    }

    /** Flushes and fsyncs what was appended. */
    public synchronized void sync() {
        for (Appender a : List.of(sampleFile, labelFile)) {
            try {
                a.out.flush();
                a.fileOut.getFD().sync();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot sync " + a.file, e);
            }
        }
    }

    /** Number of stored samples. */
    public synchronized int size() {
        return samples.size();
    }

    /** Number of samples a person labelled. */
    public synchronized long humanLabels() {
        return humanLabels.size();
    }

    /** The stored sample with this key. */
    public synchronized Optional<LabelledSample> sample(String key) {
        return Optional.ofNullable(samples.get(key));
    }

    /** The person's label of a sample, if it has one. */
    public synchronized Optional<HumanLabel> humanLabel(String key) {
        return Optional.ofNullable(humanLabels.get(key));
    }

    /** Every stored sample, in arrival order. */
    public synchronized List<LabelledSample> readAll() {
        return new ArrayList<>(samples.values());
    }

    @PreDestroy
    synchronized void close() {
        for (Appender a : List.of(sampleFile, labelFile)) {
            try {
                a.out.flush();
                a.fileOut.getFD().sync();
                a.out.close();
            } catch (IOException | UncheckedIOException e) {
                LOG.warnf("closing %s: %s", a.file, e.getMessage());
            }
        }
    }
}
