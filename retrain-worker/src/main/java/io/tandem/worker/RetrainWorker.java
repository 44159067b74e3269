package io.tandem.worker;

import io.tandem.distill.train.DjlRuntime;
import io.tandem.proto.v1.TrainingJob;
import io.tandem.proto.v1.TrainingResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A retrain worker: takes pipeline runs from the cloud's queue ({@code /api/v1/pipeline-runs}), trains them with
 * the distill library, sends its log lines as progress while it trains and the model it made when it is done.
 * Several workers share one queue; a worker that dies loses its run to another once its lease runs out. The
 * cloud service itself carries no DJL: training happens here, on whatever machine (GPU nodes) runs workers.
 */
@Command(name = "retrain-worker", mixinStandardHelpOptions = true,
        description = "Trains the cloud's pipeline runs: teacher rounds and students.")
public final class RetrainWorker implements Callable<Integer> {

    /** Tries to deliver one result before its run is left to its lease. */
    static final int DELIVERY_ATTEMPTS = 5;

    @Option(names = "--cloud", description = "The cloud service's base URL (default: ${DEFAULT-VALUE})")
    String cloud = "http://127.0.0.1:8080";

    @Option(names = "--token-env", description = "Environment variable holding a bearer token of role worker or"
            + " operator, when the cloud asks for tokens (default: ${DEFAULT-VALUE})")
    String tokenEnv = "TANDEM_WORKER_TOKEN";

    @Option(names = "--id", description = "This worker's name in the queue (default: host and process id)")
    String id = defaultId();

    @Option(names = "--work", description = "Scratch folder for runs (default: ${DEFAULT-VALUE})")
    Path work = Path.of("retrain-work");

    @Option(names = "--data", description = "This worker's Fashion-MNIST folder, instead of the one a run names")
    Path data;

    @Option(names = "--poll-ms", description = "Wait between claims while the queue is empty (default: ${DEFAULT-VALUE})")
    long pollMs = 1000;

    @Option(names = "--progress-ms", description = "How often progress (and the heartbeat) goes to the cloud"
            + " (default: ${DEFAULT-VALUE})")
    long progressMs = 2000;

    @Option(names = "--onnx-threads", description = "ONNX Runtime threads for labelling and gating (default: ${DEFAULT-VALUE})")
    int onnxThreads = 1;

    @Option(names = "--max-runs", description = "Stop after this many runs; 0: never (default: ${DEFAULT-VALUE})")
    int maxRuns;

    public static void main(String[] args) {
        DjlRuntime.configure();
        System.exit(new CommandLine(new RetrainWorker()).execute(args));
    }

    private static String defaultId() {
        String host = System.getenv().getOrDefault("HOSTNAME", "worker");
        return host + "-" + ProcessHandle.current().pid();
    }

    @Override
    public Integer call() throws Exception {
        CloudClient client = new CloudClient(cloud, id, Optional.ofNullable(System.getenv(tokenEnv))
                .filter(t -> !t.isBlank()));
        ProgressLog progress = new ProgressLog(System.out);
        JobRunner runner = new JobRunner(progress.stream(), work.toAbsolutePath(), onnxThreads, Optional.ofNullable(data));
        System.out.printf("tandem retrain-worker %s READY: queue %s%n", id, cloud);
        int done = 0;
        long backoff = pollMs;
        while (maxRuns == 0 || done < maxRuns) {
            Optional<TrainingJob> job;
            try {
                job = client.claim();
                backoff = pollMs;
            } catch (ConnectException e) {
                // The cloud is down or restarting: wait for it, at most 10 s between tries.
                if (backoff == pollMs) {
                    System.out.printf("cloud %s unreachable; waiting for it%n", cloud);
                }
                Thread.sleep(backoff);
                backoff = Math.min(10_000, backoff * 2);
                continue;
            } catch (RuntimeException | IOException e) {
                System.out.printf("claiming a run failed: %s; trying again in %d ms%n", e.getMessage(), backoff);
                Thread.sleep(backoff);
                backoff = Math.min(10_000, backoff * 2);
                continue;
            }
            if (job.isEmpty()) {
                Thread.sleep(pollMs);
                continue;
            }
            execute(client, runner, progress, job.get());
            done++;
        }
        return 0;
    }

    private void execute(CloudClient client, JobRunner runner, ProgressLog progress, TrainingJob job)
            throws InterruptedException {
        String runId = job.getRunId();
        ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "progress-" + runId);
            t.setDaemon(true);
            return t;
        });
        heartbeat.scheduleWithFixedDelay(() -> progress.flush(client, runId), progressMs, progressMs,
                TimeUnit.MILLISECONDS);
        TrainingResult result = null;
        String failure = null;
        long started = System.nanoTime();
        try {
            result = runner.run(job);
        } catch (RuntimeException | OutOfMemoryError e) {
            failure = e.getClass().getSimpleName() + ": " + e.getMessage();
            e.printStackTrace(progress.stream());
        } finally {
            heartbeat.shutdownNow();
            heartbeat.awaitTermination(30, TimeUnit.SECONDS);
        }
        progress.stream().printf("run %s %s in %.1f s%n", runId, failure == null ? "done" : "failed: " + failure,
                (System.nanoTime() - started) / 1e9);
        progress.flush(client, runId);
        try {
            if (progress.lost()) {
                System.out.printf("run %s is no longer this worker's; its result is dropped%n", runId);
            } else if (failure == null) {
                deliver(client, result);
            } else {
                client.failure(runId, failure);
            }
        } catch (CloudClient.LostRun e) {
            System.out.printf("run %s is no longer this worker's: %s%n", runId, e.getMessage());
        } catch (RuntimeException | IOException e) {
            // The lease runs out and the cloud hands the run to another worker: nothing is lost but time.
            System.out.printf("cannot deliver run %s: %s%n", runId, e.getMessage());
        } finally {
            progress.reset();
            runner.clean(job);
        }
    }

    /**
     * Sends a result, again after a dropped connection (a restarting cloud), at most {@link #DELIVERY_ATTEMPTS}
     * times; a result the cloud refuses (too large, not its run's model) turns into the run's failure, so the
     * run ends now instead of when its lease runs out.
     */
    private static void deliver(CloudClient client, TrainingResult result) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                client.result(result);
                return;
            } catch (CloudClient.Refused e) {
                System.out.printf("run %s: the cloud refused its result: %s%n", result.getRunId(), e.getMessage());
                client.failure(result.getRunId(), "result refused: " + e.getMessage());
                return;
            } catch (IOException e) {
                if (attempt >= DELIVERY_ATTEMPTS) {
                    throw e;
                }
                System.out.printf("run %s: delivering its result failed (%s); again in %d s%n", result.getRunId(),
                        e.getMessage(), 2 * attempt);
                Thread.sleep(2000L * attempt);
            }
        }
    }

    /** Log lines printed here and kept until the next progress report takes them. */
    static final class ProgressLog {
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private final PrintStream stream;
        private volatile boolean lost;

        ProgressLog(PrintStream console) {
            OutputStream tee = new OutputStream() {
                @Override
                public void write(int b) {
                    console.write(b);
                    synchronized (pending) {
                        pending.write(b);
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    console.write(b, off, len);
                    synchronized (pending) {
                        pending.write(b, off, len);
                    }
                }
            };
            this.stream = new PrintStream(tee, true, StandardCharsets.UTF_8);
        }

        PrintStream stream() {
            return stream;
        }

        boolean lost() {
            return lost;
        }

        void reset() {
            lost = false;
            synchronized (pending) {
                pending.reset();
            }
        }

        /** Sends what was printed since the last report; kept for the next one when the cloud does not answer. */
        void flush(CloudClient client, String runId) {
            String lines;
            synchronized (pending) {
                lines = pending.toString(StandardCharsets.UTF_8);
                pending.reset();
            }
            try {
                client.progress(runId, lines);
            } catch (CloudClient.LostRun e) {
                lost = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                keep(lines);
            } catch (RuntimeException | IOException e) {
                keep(lines);
            }
        }

        private void keep(String lines) {
            byte[] b = lines.getBytes(StandardCharsets.UTF_8);
            synchronized (pending) {
                byte[] newer = pending.toByteArray();
                pending.reset();
                pending.write(b, 0, Math.min(b.length, 1 << 20));
                pending.write(newer, 0, newer.length);
            }
        }
    }
}
