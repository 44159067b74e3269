package io.tandem.cloud.labeler;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.kafka.ConsumerLoop;
import io.tandem.cloud.kafka.KafkaClients;
import io.tandem.cloud.metrics.Rejections;
import io.tandem.cloud.store.SampleStore;
import io.tandem.cloud.store.SamplesHandled;
import io.tandem.cloud.store.SamplesStored;
import io.tandem.cloud.teacher.TeacherModel;
import io.tandem.distill.eval.Metrics;
import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.LabelledSample;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Labels every hard example on {@code tandem.samples} with the teacher and stores it. Offsets are
 * committed only after the store is synced, so a crash relabels rather than loses; the store keeps each
 * (device, sequence) once, so relabelling never double-counts. Each synced batch is announced as a
 * {@link SamplesStored} event.
 */
@ApplicationScoped
public class TeacherLabeler {

    private static final Logger LOG = Logger.getLogger(TeacherLabeler.class);

    @Inject
    TandemConfig config;

    @Inject
    KafkaClients kafka;

    @Inject
    TeacherModel teacher;

    @Inject
    SampleStore store;

    @Inject
    Rejections rejections;

    @Inject
    Event<SamplesStored> stored;

    @Inject
    Event<SamplesHandled> handled;


    private final AtomicLong labelled = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private ConsumerLoop loop;

    void start(@Observes StartupEvent event) {
        if (!config.labeler().enabled() || !teacher.configured()) {
            LOG.info("labeler disabled (tandem.labeler.enabled=false or no teacher configured)");
            return;
        }
        teacher.manifest();
        Map<TopicPartition, Long> resume = new HashMap<>();
        store.resumeOffsets().forEach((p, o) -> resume.put(new TopicPartition(Topics.KAFKA_SAMPLES, p), o));
        loop = new ConsumerLoop("labeler", kafka.consumer("tandem-labeler"), List.of(Topics.KAFKA_SAMPLES), this::label,
                kafka.producer(), resume);
    }

    /** Samples labelled by this process. */
    public long labelled() {
        return labelled.get();
    }

    /** Redelivered samples that were already stored. */
    public long duplicates() {
        return duplicates.get();
    }

    void label(ConsumerRecords<String, byte[]> records) {
        List<HardExample> examples = new ArrayList<>();
        List<ConsumerRecord<String, byte[]>> sources = new ArrayList<>();
        List<SamplesHandled.SampleId> receipts = new ArrayList<>();
        long pixels = teacher.manifest().getInput().getShapeList().stream().mapToLong(Long::longValue)
                .reduce(1, (a, b) -> a * b);
        for (ConsumerRecord<String, byte[]> r : records) {
            HardExample e = null;
            try {
                e = Codecs.HARD_EXAMPLE.decode(r.value());
                if (e.getInput().getData().size() != pixels
                        || e.getInput().getDtype() != io.tandem.proto.v1.DType.UINT8) {
                    throw new PayloadException(PayloadException.Reason.INVALID, "input " + e.getInput().getDtype() + " "
                            + e.getInput().getShapeList() + " does not fit the teacher's input "
                            + teacher.manifest().getInput().getShapeList());
                }
                if (e.getProbabilitiesCount() != teacher.classes()) {
                    throw new PayloadException(PayloadException.Reason.INVALID, e.getProbabilitiesCount()
                            + " probabilities, the teacher has " + teacher.classes() + " classes");
                }
                examples.add(e);
                sources.add(r);
            } catch (PayloadException ex) {
                rejections.reject("kafka/" + r.topic(), ex.reason().name(),
                        "partition " + r.partition() + " offset " + r.offset() + ": " + ex.getMessage());
                if (e != null) {
                    receipts.add(id(e));
                }
            }
        }
        if (examples.isEmpty()) {
            receipt(receipts);
            return;
        }
        byte[][] raw = new byte[examples.size()][];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = examples.get(i).getInput().getData().toByteArray();
        }
        float[] logits = teacher.logits(raw);
        int classes = teacher.classes();
        String version = teacher.manifest().getVersion();
        long now = System.currentTimeMillis();
        int added = 0;
        for (int i = 0; i < examples.size(); i++) {
            LabelledSample.Builder s = LabelledSample.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                    .setExample(examples.get(i)).setTeacherLabel(Metrics.argmax(logits, i * classes, classes))
                    .setTeacherVersion(version).setLabelledAtMs(now)
                    .setKafkaPartition(sources.get(i).partition()).setKafkaOffset(sources.get(i).offset());
            for (int c = 0; c < classes; c++) {
                s.addTeacherLogits(logits[i * classes + c]);
            }
            if (store.append(s.build())) {
                labelled.incrementAndGet();
                added++;
            } else {
                duplicates.incrementAndGet();
            }
        }
        store.sync();
        examples.forEach(x -> receipts.add(id(x)));
        stored.fire(new SamplesStored(added, store.size()));
        receipt(receipts);
    }

    private static SamplesHandled.SampleId id(HardExample e) {
        return new SamplesHandled.SampleId(e.getFleet(), e.getDeviceId(), e.getIncarnation(), e.getSequence());
    }

    private void receipt(List<SamplesHandled.SampleId> samples) {
        if (!samples.isEmpty()) {
            handled.fire(new SamplesHandled(samples));
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.close();
        }
    }
}
