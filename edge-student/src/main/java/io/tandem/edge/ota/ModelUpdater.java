package io.tandem.edge.ota;

import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.inference.ModelLoadException;
import io.tandem.edge.inference.StudentModel;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.DurableFiles;
import io.tandem.proto.ModelSignatures;
import io.tandem.proto.PayloadException;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.ModelManifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;

/**
 * Over-the-air model updates that cannot leave a device without a working model.
 *
 * <p>An update is downloaded (timeouts, size cap, retries: {@link ArtifactDownloader}), verified against
 * the command's size and sha256, loaded, checked on the manifest's smoke inputs and the device's recent
 * frames ({@link Acceptance}), and only then swapped in, between two frames. The previous model stays
 * loaded while the new one serves its first {@code probationFrames} frames: a frame that throws, or a
 * median latency far above the manifest's, swaps the previous one back, answers the frame again with it,
 * and acknowledges {@code ROLLED_BACK}. A model that passes probation becomes the device's last good model,
 * recorded on disk with the one before it, so that a restart without network serves it at once.
 *
 * <p>The newest command wins by issue time; a command sent to this device alone wins over the fleet's.
 * A command that failed is not tried again unless it is issued again. The first model a device ever runs
 * is recorded as its last good one at once (no model is worse than one on probation), and forgotten if it
 * fails its probation.
 */
public final class ModelUpdater implements AutoCloseable {

    private static final String GOOD = "good.cmd";
    private static final String PREVIOUS_GOOD = "previous.cmd";

    private final Path modelsDir;
    private final int threads;
    private final String provider;
    private final DeviceConfig.OtaSettings settings;
    private final ArtifactDownloader downloader;
    private final Consumer<DeployAck.Builder> asyncAcks;
    /** Told of each model that starts serving, under the swap lock, before it answers its first frame. */
    private volatile Consumer<Active> onServing = a -> { };
    private final AtomicReference<Active> active = new AtomicReference<>();
    /** Inference holds the read lock; a swap or rollback takes the write lock, so a model is never closed mid-frame. */
    private final ReentrantReadWriteLock swap = new ReentrantReadWriteLock();
    private final Set<String> failed = new HashSet<>();
    private final TrustStore trust;
    private final AtomicLong rollbacks = new AtomicLong();

    /**
     * The model in service, the command that put it there and whether that command was for this device alone;
     * during probation also the model to go back to.
     */
    public record Active(StudentModel model, DeployCommand command, boolean deviceSpecific, Active previous,
            Probation probation) {

        Active settled() {
            return new Active(model, command, deviceSpecific, null, null);
        }
    }

    /**
     * Creates an updater that keeps artifacts in {@code modelsDir}.
     *
     * @param asyncAcks receives acknowledgements of what happens after a command was answered (rollbacks)
     */
    public ModelUpdater(Path modelsDir, int threads, String provider, DeviceConfig.OtaSettings settings,
            Consumer<DeployAck.Builder> asyncAcks) {
        this.modelsDir = modelsDir;
        this.threads = threads;
        this.provider = provider;
        this.settings = settings;
        this.asyncAcks = asyncAcks;
        this.downloader = new ArtifactDownloader(settings);
        try {
            Files.createDirectories(modelsDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + modelsDir, e);
        }
        this.trust = new TrustStore(settings.trustedKeys(), modelsDir.resolve("trusted-keys"));
    }

    /** An updater on the CPU that logs acknowledgements of rollbacks only. */
    public ModelUpdater(Path modelsDir, int threads, DeviceConfig.OtaSettings settings) {
        this(modelsDir, threads, "cpu", settings, ack -> System.out.println("rollback: " + ack.getDetail()));
    }

    /** The model in service, if any. */
    public Optional<Active> active() {
        return Optional.ofNullable(active.get());
    }

    /** Updates undone after the swap so far. */
    public long rollbacks() {
        return rollbacks.get();
    }

    /**
     * Serves the last good model recorded on disk, or the one before it if that one no longer loads: what
     * a device does when it restarts, before it has any network.
     *
     * @return the version now in service
     */
    /**
     * Calls {@code listener} with each model that starts serving (restored, swapped in, or back after a rollback)
     * before that model answers a frame, so state that belongs to the model in service (the device's gate and
     * telemetry window) is never missing or left from the model before.
     */
    public void onServing(Consumer<Active> listener) {
        onServing = listener;
    }

    private void serving(Active a) {
        active.set(a);
        if (a != null) {
            onServing.accept(a);
        }
    }

    public Optional<String> restore() {
        for (String name : List.of(GOOD, PREVIOUS_GOOD)) {
            Optional<Recorded> recorded = read(name);
            if (recorded.isEmpty()) {
                continue;
            }
            DeployCommand c = recorded.get().command();
            Path file = artifact(c);
            try {
                if (!Files.isRegularFile(file) || !ArtifactDigest.sha256(file).equals(c.getSha256())) {
                    System.out.println("last good model " + c.getModelVersion() + " is missing or changed on disk");
                    continue;
                }
                StudentModel model = StudentModel.load(file, c.getManifest(), threads, provider);
                swap.writeLock().lock();
                try {
                    serving(new Active(model, c, recorded.get().deviceSpecific(), null, null));
                } finally {
                    swap.writeLock().unlock();
                }
                return Optional.of(c.getModelVersion());
            } catch (ModelLoadException | UncheckedIOException e) {
                System.out.println("last good model " + c.getModelVersion() + " does not load: " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * Installs a model shipped with the device (a factory image) as its last good model, unless the device
     * already has one from the cloud; any deploy command the cloud issues is newer and replaces it.
     *
     * @return whether it was installed
     */
    public boolean provision(Path onnx, ModelManifest manifest, String fleet, float confidenceThreshold) {
        if (read(GOOD).isPresent()) {
            return false;
        }
        try {
            DeployCommand c = DeployCommand.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setFleet(fleet)
                    .setRolloutId("provisioned").setModelId(manifest.getModelId().isEmpty() ? "student"
                            : manifest.getModelId()).setModelVersion(manifest.getVersion())
                    .setArtifactUrl(onnx.toAbsolutePath().toUri().toString()).setSha256(ArtifactDigest.sha256(onnx))
                    .setSizeBytes(Files.size(onnx)).setConfidenceThreshold(confidenceThreshold).setIssuedAtMs(0)
                    .setManifest(manifest).build();
            Files.copy(onnx, artifact(c), StandardCopyOption.REPLACE_EXISTING);
            write(GOOD, new Recorded(c, false));
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot provision " + onnx, e);
        }
    }

    /**
     * Answers one frame with the model in service: {@code answer} runs under the read lock and returns the
     * model's latency in milliseconds. A failure on a model on probation rolls it back and answers the frame
     * again with the restored model; any other failure is thrown to the caller.
     *
     * @return false when there is no model to answer with
     */
    public boolean serve(ToDoubleFunction<StudentModel> answer) {
        for (int attempt = 0; ; attempt++) {
            Active a;
            double latencyMs = 0;
            RuntimeException failure = null;
            swap.readLock().lock();
            try {
                a = active.get();
                if (a == null) {
                    return false;
                }
                try {
                    latencyMs = answer.applyAsDouble(a.model());
                } catch (RuntimeException e) {
                    failure = e;
                }
            } finally {
                swap.readLock().unlock();
            }
            if (failure != null) {
                if (attempt == 0 && a.probation() != null && rollBack(a, "a frame failed: " + failure.getMessage())) {
                    continue;
                }
                throw failure;
            }
            if (a.probation() != null) {
                Probation.Verdict verdict = a.probation().observe(latencyMs);
                if (verdict == Probation.Verdict.PASSED) {
                    settle(a);
                } else if (verdict == Probation.Verdict.TOO_SLOW) {
                    rollBack(a, a.probation().describe());
                }
            }
            return true;
        }
    }

    /**
     * Applies a deploy command; returns the acknowledgement to send (without device fields), or empty when
     * there is nothing to say (the command asks for what already runs, or it failed before and was not
     * issued again).
     *
     * @param recentFrames frames the device answered last, which the new model must answer too
     * @param superseded whether a newer command is waiting, checked between download attempts
     */
    public Optional<DeployAck.Builder> apply(DeployCommand command, boolean deviceSpecific, List<byte[]> recentFrames,
            BooleanSupplier superseded) {
        Active current = active.get();
        DeployAck.Builder ack = ack(command, current == null ? "" : current.model().version());
        if (current != null && current.command().getModelVersion().equals(command.getModelVersion())
                && current.command().getSha256().equals(command.getSha256())) {
            if (deviceSpecific && !current.deviceSpecific()) {
                active.compareAndSet(current, new Active(current.model(), current.command(), true, current.previous(),
                        current.probation()));
            }
            return Optional.empty();
        }
        if (failed.contains(failureKey(command))) {
            return Optional.empty();
        }
        if (current != null && current.deviceSpecific() && !deviceSpecific) {
            return Optional.of(ack.setStatus(DeployAck.Status.SUPERSEDED).setDetail("a command for this device alone ("
                    + current.model().version() + ") is in force"));
        }
        if (current != null && current.deviceSpecific() == deviceSpecific
                && command.getIssuedAtMs() < current.command().getIssuedAtMs()) {
            return Optional.of(ack.setStatus(DeployAck.Status.STALE).setDetail("issued at " + command.getIssuedAtMs()
                    + ", before the command in force (" + current.model().version() + ", issued at "
                    + current.command().getIssuedAtMs() + ")"));
        }
        ModelManifest manifest = command.getManifest();
        long signedAt = 0;
        if (trust.required()) {
            ModelSignatures.Verified verified;
            try {
                verified = trust.verify(command);
            } catch (ModelSignatures.Untrusted e) {
                return Optional.of(fail(command, ack, DeployAck.Status.FAILED_VERIFICATION, e.getMessage()));
            }
            signedAt = verified.statement().getSignedAtMs();
            if (current != null && signedAt < signedAt(current.command())) {
                return Optional.of(fail(command, ack, DeployAck.Status.FAILED_VERIFICATION, "signed at " + signedAt
                        + ", before the running model's statement (" + signedAt(current.command())
                        + "): refused as a replay of an older version"));
            }
            manifest = verified.manifest();
        }
        Path target = artifact(command);
        int attempts;
        try {
            attempts = downloader.fetch(command, target, superseded);
        } catch (ArtifactDownloader.Abandoned e) {
            return Optional.of(ack.setStatus(DeployAck.Status.STALE).setDetail(e.getMessage()));
        } catch (ArtifactDownloader.VerificationException e) {
            return Optional.of(fail(command, ack, DeployAck.Status.FAILED_VERIFICATION, e.getMessage()));
        } catch (IOException | RuntimeException e) {
            return Optional.of(fail(command, ack, DeployAck.Status.FAILED_DOWNLOAD, String.valueOf(e.getMessage())));
        }
        StudentModel model;
        try {
            model = StudentModel.load(target, manifest, threads, provider);
        } catch (ModelLoadException e) {
            return Optional.of(fail(command, ack, DeployAck.Status.FAILED_LOAD, e.getMessage()));
        }
        String checked;
        try {
            checked = Acceptance.check(model, recentFrames);
        } catch (Acceptance.Failed e) {
            model.close();
            return Optional.of(fail(command, ack, DeployAck.Status.FAILED_SMOKE, e.getMessage()));
        }
        if (trust.required()) {
            // Again just before the swap: the statement may have expired during a long download.
            try {
                trust.learn(trust.verify(command));
            } catch (ModelSignatures.Untrusted e) {
                model.close();
                return Optional.of(fail(command, ack, DeployAck.Status.FAILED_VERIFICATION, e.getMessage()));
            }
        }
        swapIn(model, command, deviceSpecific);
        return Optional.of(ack.setStatus(DeployAck.Status.ACTIVE).setDetail("sha256 " + command.getSha256() + ", "
                + (attempts == 0 ? "already on disk" : attempts + " download attempt(s)") + ", " + checked
                + ", on " + model.provider() + (trust.required() ? ", signature verified (signed at " + signedAt + ")"
                : ", unsigned (no trusted key pinned)") + (settings.probationFrames() > 0 ? ", on probation for "
                + settings.probationFrames() + " frames" : "")));
    }

    /** The acknowledgement of {@code command}, before its status (without device fields). */
    public static DeployAck.Builder ack(DeployCommand command, String previousVersion) {
        return DeployAck.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setRolloutId(command.getRolloutId())
                .setModelVersion(command.getModelVersion()).setPreviousVersion(previousVersion)
                .setTimeMs(System.currentTimeMillis());
    }

    /** When the command's signed statement was signed; 0 for an unsigned command. */
    private static long signedAt(DeployCommand c) {
        if (c.getStatement().isEmpty()) {
            return 0;
        }
        try {
            return io.tandem.proto.v1.ModelStatement.parseFrom(c.getStatement()).getSignedAtMs();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            return 0;
        }
    }

    private DeployAck.Builder fail(DeployCommand command, DeployAck.Builder ack, DeployAck.Status status, String why) {
        failed.add(failureKey(command));
        return ack.setStatus(status).setDetail(why);
    }

    private static String failureKey(DeployCommand c) {
        return c.getSha256() + "@" + c.getIssuedAtMs() + "/" + c.getRolloutId();
    }

    private void swapIn(StudentModel model, DeployCommand command, boolean deviceSpecific) {
        Probation probation = settings.probationFrames() > 0 ? new Probation(settings.probationFrames(),
                settings.latencyFactor(), command.getManifest().getMetricsOrDefault("latency_ms_p50", 0)) : null;
        Active next;
        List<StudentModel> retire = new java.util.ArrayList<>();
        swap.writeLock().lock();
        try {
            Active old = active.get();
            // A model still on probation is not the one to go back to: its own previous model is, if it has one.
            Active goodOne = old == null ? null : old.probation() != null && old.previous() != null ? old.previous() : old;
            if (old != null && old != goodOne) {
                retire.add(old.model());
            }
            if (probation == null && goodOne != null) {
                retire.add(goodOne.model());
            }
            next = new Active(model, command, deviceSpecific,
                    probation == null || goodOne == null ? null : goodOne.settled(), probation);
            serving(next);
        } finally {
            swap.writeLock().unlock();
        }
        retire.forEach(StudentModel::close);
        // The first model a device ever runs is its best one even on probation: no model at all is worse.
        if (probation == null || read(GOOD).isEmpty()) {
            record(next);
        }
    }

    private void settle(Active onProbation) {
        Active previous;
        swap.writeLock().lock();
        try {
            if (active.get() != onProbation) {
                return;
            }
            previous = onProbation.previous();
            active.set(onProbation.settled());
        } finally {
            swap.writeLock().unlock();
        }
        if (previous != null) {
            previous.model().close();
        }
        record(onProbation);
        System.out.println("model " + onProbation.model().version() + " passed probation: "
                + onProbation.probation().describe());
    }

    private boolean rollBack(Active onProbation, String why) {
        swap.writeLock().lock();
        try {
            if (active.get() != onProbation) {
                return active.get() != null;
            }
            Active back = onProbation.previous();
            serving(back);
        } finally {
            swap.writeLock().unlock();
        }
        onProbation.model().close();
        failed.add(failureKey(onProbation.command()));
        if (onProbation.previous() == null) {
            forget(onProbation.command());
        }
        rollbacks.incrementAndGet();
        Active back = onProbation.previous();
        DeployCommand c = onProbation.command();
        asyncAcks.accept(ack(c, c.getModelVersion()).setStatus(DeployAck.Status.ROLLED_BACK)
                .setDetail(why + "; back to " + (back == null ? "no model" : back.model().version())));
        return back != null;
    }

    /** A command as recorded on disk, with its scope. */
    private record Recorded(DeployCommand command, boolean deviceSpecific) {
    }

    private void record(Active good) {
        try {
            Optional<Recorded> before = read(GOOD);
            if (before.isPresent() && !before.get().command().getSha256().equals(good.command().getSha256())) {
                write(PREVIOUS_GOOD, before.get());
            }
            write(GOOD, new Recorded(good.command(), good.deviceSpecific()));
            prune();
        } catch (IOException e) {
            System.out.println("cannot record the last good model in " + modelsDir + ": " + e.getMessage());
        }
    }

    /** Removes the record of {@code command} as the last good model, after it failed. */
    private void forget(DeployCommand command) {
        Optional<Recorded> good = read(GOOD);
        if (good.isPresent() && good.get().command().getSha256().equals(command.getSha256())) {
            try {
                Files.deleteIfExists(modelsDir.resolve(GOOD));
            } catch (IOException e) {
                System.out.println("cannot forget " + command.getModelVersion() + ": " + e.getMessage());
            }
        }
    }

    private void write(String name, Recorded r) throws IOException {
        // The device's own state, not wire input: a provisioned model's command names a file, not a URL.
        byte[] command = r.command().toByteArray();
        byte[] bytes = new byte[command.length + 1];
        bytes[0] = (byte) (r.deviceSpecific() ? 1 : 0);
        System.arraycopy(command, 0, bytes, 1, command.length);
        DurableFiles.replace(modelsDir.resolve(name), bytes);
    }

    private Optional<Recorded> read(String name) {
        Path file = modelsDir.resolve(name);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length < 2) {
                throw new PayloadException(PayloadException.Reason.MALFORMED, file + " is too short");
            }
            return Optional.of(new Recorded(DeployCommand.parseFrom(Arrays.copyOfRange(bytes, 1, bytes.length)),
                    bytes[0] == 1));
        } catch (IOException | PayloadException e) {
            System.out.println("ignoring " + file + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    /** Deletes artifacts other than the last good model, the one before it and the one in service. */
    private void prune() throws IOException {
        Set<Path> keep = new HashSet<>();
        read(GOOD).ifPresent(r -> keep.add(artifact(r.command())));
        read(PREVIOUS_GOOD).ifPresent(r -> keep.add(artifact(r.command())));
        Active a = active.get();
        for (Active x = a; x != null; x = x.previous()) {
            keep.add(artifact(x.command()));
        }
        try (Stream<Path> files = Files.list(modelsDir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".onnx")).toList()) {
                if (!keep.contains(f)) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private Path artifact(DeployCommand command) {
        return modelsDir.resolve("student-" + command.getModelVersion() + "-" + command.getSha256().substring(0,
                Math.min(12, command.getSha256().length())) + ".onnx");
    }

    @Override
    public void close() {
        swap.writeLock().lock();
        try {
            for (Active a = active.getAndSet(null); a != null; a = a.previous()) {
                a.model().close();
            }
        } finally {
            swap.writeLock().unlock();
        }
    }
}
