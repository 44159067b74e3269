package io.tandem.cloud.joint;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.quarkus.runtime.ShutdownEvent;
import io.tandem.cloud.config.TandemConfig;
import io.tandem.cloud.teacher.TeacherModel;
import io.tandem.distill.calib.TemperatureScaling;
import io.tandem.distill.kd.SitePrior;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.TeacherAnswer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The teacher answering frames that devices escalate: requests wait in a bounded queue, one worker
 * answers them in batches (up to {@code tandem.joint.max-batch}, the first waiting at most
 * {@code max-wait-ms} for company), and a request whose deadline passes while it waits is dropped before
 * the teacher spends anything on it. A full queue, or one whose work would outlast a request's budget at the
 * teacher's measured rate, refuses at once, with an estimate of when to retry.
 */
@ApplicationScoped
public class TeacherService {

    /** The queue is full: retry after {@code retryAfterMs}. */
    public static final class Overloaded extends Exception {
        private final long retryAfterMs;

        Overloaded(long retryAfterMs, String message) {
            super(message);
            this.retryAfterMs = retryAfterMs;
        }

        /** When a retry may find room. */
        public long retryAfterMs() {
            return retryAfterMs;
        }
    }

    /** The request's deadline passed before the teacher reached it. */
    public static final class Expired extends Exception {
        Expired(String message) {
            super(message);
        }
    }

    private record Pending(long sequence, byte[] pixels, float[] siteShift, long arrivalNanos, long deadlineNanos,
            CompletableFuture<TeacherAnswer> answer) {
    }

    @Inject
    TandemConfig config;

    @Inject
    TeacherModel teacher;

    private ArrayBlockingQueue<Pending> queue;
    private Thread worker;
    private volatile boolean running = true;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    /** Answers per second, smoothed, for the retry hint. */
    private volatile double throughput = 1000;

    private synchronized void start() {
        if (worker != null) {
            return;
        }
        queue = new ArrayBlockingQueue<>(config.joint().queueCapacity());
        worker = new Thread(this::work, "teacher-joint-inference");
        worker.setDaemon(true);
        worker.start();
    }

    /** The number of raw input values a frame must have. */
    public int inputElements() {
        long n = 1;
        for (long d : teacher.manifest().getInput().getShapeList()) {
            n *= d;
        }
        return (int) n;
    }

    /**
     * Queues one frame of a site whose mix of objects is {@code siteShift} (per-class log prior ratios, added to
     * the teacher's calibrated logits: Bayes' rule under label shift; empty for none).
     *
     * @throws Overloaded when the queue is full
     */
    public CompletableFuture<TeacherAnswer> submit(long sequence, byte[] pixels, float[] siteShift, int budgetMs)
            throws Overloaded {
        start();
        long now = System.nanoTime();
        Pending p = new Pending(sequence, pixels, siteShift, now, now + TimeUnit.MILLISECONDS.toNanos(budgetMs),
                new CompletableFuture<>());
        // Admission: a frame that would wait past its budget is refused now, not answered 504 later.
        int waiting = queue.size();
        double waitMs = (waiting + 1) / Math.max(1, throughput) * 1000;
        if (waitMs > budgetMs || !queue.offer(p)) {
            refused.incrementAndGet();
            long retryMs = Math.max(1, Math.round(waiting / Math.max(1, throughput) * 1000));
            throw new Overloaded(retryMs, "the teacher has " + waiting + " frames waiting (capacity "
                    + config.joint().queueCapacity() + String.format(java.util.Locale.ROOT,
                    ", about %.0f ms of work; the budget is %d ms)", waitMs, budgetMs));
        }
        accepted.incrementAndGet();
        return p.answer();
    }

    private void work() {
        int maxBatch = config.joint().maxBatch();
        long maxWait = TimeUnit.MILLISECONDS.toNanos(config.joint().maxWaitMs());
        List<Pending> batch = new ArrayList<>(maxBatch);
        while (running) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long until = first.arrivalNanos() + maxWait;
                while (batch.size() < maxBatch) {
                    long left = until - System.nanoTime();
                    Pending next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                answer(batch);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                failed.addAndGet(batch.size());
                batch.forEach(p -> p.answer().completeExceptionally(e));
            } finally {
                batch.clear();
            }
        }
    }

    private void answer(List<Pending> batch) {
        long start = System.nanoTime();
        List<Pending> live = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            if (p.deadlineNanos() <= start) {
                expired.incrementAndGet();
                p.answer().completeExceptionally(new Expired("deadline passed after "
                        + TimeUnit.NANOSECONDS.toMillis(start - p.arrivalNanos()) + " ms in the queue"));
            } else {
                live.add(p);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        byte[][] raw = new byte[live.size()][];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = live.get(i).pixels();
        }
        ModelManifest m = teacher.manifest();
        int classes = m.getClassLabelsCount();
        long macs = macs(m);
        float[] logits = teacher.logits(raw);
        float temperature = m.getTemperature() > 0 ? m.getTemperature() : 1;
        for (int i = 0; i < live.size(); i++) {
            float[] shift = live.get(i).siteShift();
            if (shift.length == classes) {
                SitePrior.addShift(logits, i * classes, (i + 1) * classes, shift, temperature);
            }
        }
        float[] p = TemperatureScaling.probabilities(logits, classes, temperature);
        long end = System.nanoTime();
        float computeMs = (end - start) / 1e6f;
        for (int i = 0; i < live.size(); i++) {
            TeacherAnswer.Builder a = TeacherAnswer.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                    .setSequence(live.get(i).sequence()).setTeacherVersion(m.getVersion()).setTeacherMacs(macs)
                    .setQueueMs((start - live.get(i).arrivalNanos()) / 1e6f).setComputeMs(computeMs);
            int best = 0;
            for (int c = 0; c < classes; c++) {
                a.addProbabilities(p[i * classes + c]);
                if (p[i * classes + c] > p[i * classes + best]) {
                    best = c;
                }
            }
            live.get(i).answer().complete(a.setPredictedClass(best).build());
        }
        answered.addAndGet(live.size());
        batches.incrementAndGet();
        double rate = live.size() / Math.max(1e-6, (end - start) / 1e9);
        throughput = 0.9 * throughput + 0.1 * rate;
    }

    /**
     * The teacher's MACs per frame, as its manifest says (0: unknown, an older manifest). Not looked up in the model
     * zoo: the zoo builds DJL blocks, and this service carries no DJL.
     */
    private static long macs(ModelManifest m) {
        return m.getMacs();
    }

    /**
     * The joint-inference counters.
     *
     * @param accepted frames taken into the queue
     * @param refusedQueueFull frames refused because the queue was full (429)
     * @param expiredInQueue frames whose budget ran out while they waited
     * @param waiting frames in the queue now
     * @param answersPerSecondInBatches the teacher's recent rate while answering batches
     */
    public record Stats(long accepted, @JsonProperty("refused_queue_full") long refusedQueueFull,
            @JsonProperty("expired_in_queue") long expiredInQueue, long answered, long failed, long batches, int waiting,
            @JsonProperty("queue_capacity") int queueCapacity,
            @JsonProperty("answers_per_second_in_batches") long answersPerSecondInBatches) {
    }

    /** Counters, for {@code GET /api/v1/teacher/stats}. */
    public Stats stats() {
        return new Stats(accepted.get(), refused.get(), expired.get(), answered.get(), failed.get(), batches.get(),
                queue == null ? 0 : queue.size(), config.joint().queueCapacity(), Math.round(throughput));
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        if (worker != null) {
            worker.interrupt();
        }
    }
}
