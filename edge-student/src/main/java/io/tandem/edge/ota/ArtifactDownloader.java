package io.tandem.edge.ota;

import io.tandem.edge.device.DeviceConfig;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.v1.DeployCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.function.BooleanSupplier;

/**
 * Fetches the artifact a deploy command names into a file: connect and read timeouts (a stalled transfer
 * fails after the read timeout, whatever the total), a deadline for the whole transfer, a size cap, and
 * retries with exponential backoff for failures that may pass (network errors, truncated bodies, 5xx). A
 * file whose size or sha256 differs from the command's is never kept, and not retried.
 */
final class ArtifactDownloader {

    /** Gives up before the next attempt when a newer command is waiting. */
    static final class Abandoned extends IOException {
        Abandoned(String message) {
            super(message);
        }
    }

    /** An artifact whose size or hash is not what the deploy command announced. */
    static final class VerificationException extends IOException {
        VerificationException(String message) {
            super(message);
        }
    }

    private final DeviceConfig.OtaSettings settings;

    ArtifactDownloader(DeviceConfig.OtaSettings settings) {
        this.settings = settings;
    }

    /**
     * Downloads into {@code target} unless a file with the right hash is there already.
     *
     * @param superseded checked between attempts: true abandons the download
     * @return the number of attempts made (0 when the file was already there)
     */
    int fetch(DeployCommand command, Path target, BooleanSupplier superseded) throws IOException {
        if (Files.isRegularFile(target) && ArtifactDigest.sha256(target).equals(command.getSha256())) {
            return 0;
        }
        if (command.getSizeBytes() > settings.maxArtifactBytes()) {
            throw new VerificationException("artifact of " + command.getSizeBytes() + " bytes is over the device's cap of "
                    + settings.maxArtifactBytes() + " bytes");
        }
        long backoff = settings.retryBackoff().toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                once(command, target);
                return attempt;
            } catch (VerificationException e) {
                throw e;
            } catch (IOException e) {
                if (attempt >= settings.attempts()) {
                    throw new IOException(e.getMessage() + " (attempt " + attempt + " of " + settings.attempts() + ")", e);
                }
                System.out.println("download of " + command.getModelVersion() + " failed (" + e.getMessage()
                        + "), attempt " + attempt + " of " + settings.attempts() + ", retrying in " + backoff + " ms");
                sleep(backoff);
                if (superseded.getAsBoolean()) {
                    throw new Abandoned("a newer deploy command arrived while retrying");
                }
                backoff = Math.min(backoff * 2, 30_000);
            }
        }
    }

    private void once(DeployCommand command, Path target) throws IOException {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        HttpURLConnection http;
        try {
            http = (HttpURLConnection) URI.create(command.getArtifactUrl()).toURL().openConnection();
        } catch (IllegalArgumentException e) {
            throw new VerificationException("artifact URL " + command.getArtifactUrl() + " is not a URL");
        }
        http.setConnectTimeout((int) settings.connectTimeout().toMillis());
        http.setReadTimeout((int) settings.readTimeout().toMillis());
        http.setInstanceFollowRedirects(false);
        if (!settings.apiToken().isEmpty()) {
            http.setRequestProperty("Authorization", "Bearer " + settings.apiToken());
        }
        long deadline = System.nanoTime() + settings.downloadTimeout().toNanos();
        try {
            int status = http.getResponseCode();
            if (status != 200) {
                throw new IOException("GET " + command.getArtifactUrl() + " answered " + status);
            }
            MessageDigest digest = ArtifactDigest.newSha256();
            long size = 0;
            try (InputStream in = http.getInputStream(); OutputStream out = Files.newOutputStream(part)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("download took longer than " + settings.downloadTimeout().toMillis() + " ms");
                    }
                    size += n;
                    if (size > command.getSizeBytes()) {
                        throw new VerificationException("artifact is larger than the announced " + command.getSizeBytes()
                                + " bytes");
                    }
                    digest.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
            if (size < command.getSizeBytes()) {
                throw new IOException("download ended after " + size + " of " + command.getSizeBytes() + " bytes");
            }
            String actual = ArtifactDigest.hex(digest);
            if (!actual.equals(command.getSha256())) {
                throw new VerificationException("artifact has sha256 " + actual + ", deploy command says "
                        + command.getSha256());
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.net.SocketTimeoutException e) {
            throw new IOException("download stalled: " + e.getMessage() + " (read timeout "
                    + settings.readTimeout().toMillis() + " ms)", e);
        } finally {
            http.disconnect();
            Files.deleteIfExists(part);
        }
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Abandoned("interrupted");
        }
    }
}
