package io.tandem.cloud.store;

import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.proto.Codecs;
import io.tandem.proto.RecordFiles;
import io.tandem.proto.v1.LabelledSample;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * The labelled-sample store: one append-only file of {@link LabelledSample} records. Each sample is kept
 * once per (device, sequence), so a redelivered Kafka record is not stored twice. {@link #sync()} makes
 * everything appended so far durable; the labeler commits Kafka offsets only after it.
 */
@ApplicationScoped
public class SampleStore {

    private static final Logger LOG = Logger.getLogger(SampleStore.class);

    @Inject
    TandemConfig config;

    @Inject
    Rejections rejections;

    private Path file;
    private final Set<String> keys = new HashSet<>();
    private FileOutputStream fileOut;
    private DataOutputStream out;

    @PostConstruct
    void open() {
        file = config.dataDir().resolve("samples").resolve("labelled.rec");
        RecordFiles.ReadSummary summary = RecordFiles.read(file, Codecs.LABELLED_SAMPLE, s -> keys.add(key(s)),
                e -> rejections.reject("sample-store", e.reason().name(), e.getMessage()));
        if (summary.truncatedTail()) {
            LOG.warnf("sample store %s ends in a partly written record (a crash); it is ignored", file);
        }
        try {
            java.nio.file.Files.createDirectories(file.getParent());
            fileOut = new FileOutputStream(file.toFile(), true);
            out = new DataOutputStream(new java.io.BufferedOutputStream(fileOut, 1 << 16));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open sample store " + file, e);
        }
        LOG.infof("sample store %s holds %d labelled samples", file, keys.size());
    }

    private static String key(LabelledSample s) {
        return s.getExample().getDeviceId() + "#" + s.getExample().getSequence();
    }

    /** Appends a sample unless one with the same device and sequence is stored; true when appended. */
    public synchronized boolean append(LabelledSample sample) {
        if (!keys.add(key(sample))) {
            return false;
        }
        try {
            RecordFiles.append(out, Codecs.LABELLED_SAMPLE, sample);
            return true;
        } catch (IOException e) {
            keys.remove(key(sample));
            throw new UncheckedIOException("cannot append to sample store " + file, e);
        }
    }

    /** Flushes and fsyncs what was appended. */
    public synchronized void sync() {
        try {
            out.flush();
            fileOut.getFD().sync();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sync sample store " + file, e);
        }
    }

    /** Number of stored samples. */
    public synchronized int size() {
        return keys.size();
    }

    /** Every stored sample, read back from disk. */
    public List<LabelledSample> readAll() {
        sync();
        List<LabelledSample> all = new ArrayList<>();
        RecordFiles.read(file, Codecs.LABELLED_SAMPLE, all::add,
                e -> rejections.reject("sample-store", e.reason().name(), e.getMessage()));
        return all;
    }

    @PreDestroy
    synchronized void close() {
        try {
            sync();
            out.close();
        } catch (IOException | UncheckedIOException e) {
            LOG.warnf("closing sample store: %s", e.getMessage());
        }
    }
}
