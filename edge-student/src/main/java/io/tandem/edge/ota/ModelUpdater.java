package io.tandem.edge.ota;

import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.inference.ModelLoadException;
import io.tandem.edge.inference.StudentModel;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * Over-the-air model updates: downloads the artifact a deploy command names, checks its size and sha256,
 * loads it, and only then swaps it in atomically, never while a frame is being answered with the old one.
 * The previous model stays on disk; a failure at any step leaves the running model untouched and is
 * acknowledged with its reason.
 */
public final class ModelUpdater implements AutoCloseable {

    private final Path modelsDir;
    private final int threads;
    private final DeviceConfig.OtaSettings settings;
    private final HttpClient http;
    private final AtomicReference<Active> active = new AtomicReference<>();
    /** Inference holds the read lock; a swap takes the write lock, so a model is never closed mid-frame. */
    private final ReentrantReadWriteLock swap = new ReentrantReadWriteLock();

    /** The model in service and the command that put it there. */
    public record Active(StudentModel model, DeployCommand command) {
    }

    /** Creates an updater that keeps artifacts in {@code modelsDir}. */
    public ModelUpdater(Path modelsDir, int threads, DeviceConfig.OtaSettings settings) {
        this.modelsDir = modelsDir;
        this.threads = threads;
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(settings.connectTimeout()).build();
        try {
            Files.createDirectories(modelsDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + modelsDir, e);
        }
    }

    /** The model in service, if any. */
    public Optional<Active> active() {
        return Optional.ofNullable(active.get());
    }

    /** Runs {@code work} on the model in service, which stays open until it returns; empty when there is none. */
    public <T> Optional<T> withActive(Function<Active, T> work) {
        swap.readLock().lock();
        try {
            Active a = active.get();
            return a == null ? Optional.empty() : Optional.ofNullable(work.apply(a));
        } finally {
            swap.readLock().unlock();
        }
    }

    /** Whether this command asks for what already runs. */
    public boolean isCurrent(DeployCommand command) {
        Active a = active.get();
        return a != null && a.command().getModelVersion().equals(command.getModelVersion())
                && a.command().getSha256().equals(command.getSha256());
    }

    /**
     * Applies a deploy command; returns the acknowledgement to send (without device fields).
     */
    public DeployAck.Builder apply(DeployCommand command) {
        Active previous = active.get();
        DeployAck.Builder ack = DeployAck.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setRolloutId(command.getRolloutId()).setModelVersion(command.getModelVersion())
                .setPreviousVersion(previous == null ? "" : previous.model().version())
                .setTimeMs(System.currentTimeMillis());
        Path target = modelsDir.resolve("student-" + command.getModelVersion() + ".onnx");
        try {
            download(command, target);
        } catch (VerificationException e) {
            return ack.setStatus(DeployAck.Status.FAILED_VERIFICATION).setDetail(e.getMessage());
        } catch (IOException | RuntimeException e) {
            return ack.setStatus(DeployAck.Status.FAILED_DOWNLOAD).setDetail(String.valueOf(e.getMessage()));
        }
        StudentModel model;
        try {
            model = StudentModel.load(target, command.getManifest(), threads);
        } catch (ModelLoadException e) {
            return ack.setStatus(DeployAck.Status.FAILED_LOAD).setDetail(e.getMessage());
        }
        swap.writeLock().lock();
        try {
            Active old = active.getAndSet(new Active(model, command));
            if (old != null) {
                old.model().close();
            }
        } finally {
            swap.writeLock().unlock();
        }
        return ack.setStatus(DeployAck.Status.ACTIVE).setDetail("sha256 " + command.getSha256());
    }

    private void download(DeployCommand command, Path target) throws IOException {
        if (Files.isRegularFile(target) && ArtifactDigest.sha256(target).equals(command.getSha256())) {
            return;
        }
        Path part = modelsDir.resolve(target.getFileName() + ".part");
        HttpRequest request = HttpRequest.newBuilder(URI.create(command.getArtifactUrl()))
                .timeout(settings.downloadTimeout()).GET().build();
        long deadline = System.nanoTime() + settings.downloadTimeout().toNanos();
        HttpResponse<InputStream> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("download interrupted", e);
        }
        if (response.statusCode() != 200) {
            response.body().close();
            throw new IOException("GET " + command.getArtifactUrl() + " answered " + response.statusCode());
        }
        MessageDigest digest = ArtifactDigest.newSha256();
        long size = 0;
        try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(part)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("download of " + command.getArtifactUrl() + " took longer than "
                            + settings.downloadTimeout().toMillis() + " ms");
                }
                size += n;
                if (size > command.getSizeBytes()) {
                    throw new VerificationException("artifact is larger than the announced " + command.getSizeBytes()
                            + " bytes");
                }
                digest.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            Files.deleteIfExists(part);
            throw e;
        }
        String actual = ArtifactDigest.hex(digest);
        if (size != command.getSizeBytes() || !actual.equals(command.getSha256())) {
            Files.deleteIfExists(part);
            throw new VerificationException("artifact has " + size + " bytes and sha256 " + actual + ", deploy command says "
                    + command.getSizeBytes() + " bytes and " + command.getSha256());
        }
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** An artifact whose size or hash is not what the deploy command announced. */
    static final class VerificationException extends IOException {
        VerificationException(String message) {
            super(message);
        }
    }

    @Override
    public void close() {
        swap.writeLock().lock();
        try {
            Active a = active.getAndSet(null);
            if (a != null) {
                a.model().close();
            }
        } finally {
            swap.writeLock().unlock();
        }
    }
}
