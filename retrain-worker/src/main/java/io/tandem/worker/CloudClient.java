package io.tandem.worker;

import io.tandem.proto.Codecs;
import io.tandem.proto.v1.TrainingJob;
import io.tandem.proto.v1.TrainingResult;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The cloud's pipeline-run queue as a worker sees it ({@code /api/v1/pipeline-runs}): claim the next run,
 * report progress (which also tells the cloud the worker is alive), deliver the result or the failure.
 */
final class CloudClient {

    /** The cloud no longer counts the run as this worker's (its lease ran out, or an operator cancelled it). */
    static final class LostRun extends RuntimeException {
        LostRun(String message) {
            super(message);
        }
    }

    /** The cloud refused a request for what it carried (4xx): sending it again cannot help. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    private static final String PROTOBUF = "application/x-protobuf";

    // HTTP/1.1: the default h2c upgrade of a large POST was answered with GOAWAY by the service.
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final String worker;
    private final Optional<String> token;

    CloudClient(String cloudUrl, String worker, Optional<String> token) {
        this.base = cloudUrl.replaceAll("/+$", "") + "/api/v1/pipeline-runs";
        this.worker = URLEncoder.encode(worker, StandardCharsets.UTF_8);
        this.token = token;
    }

    /** The next queued run, now this worker's; empty when none waits. */
    Optional<TrainingJob> claim() throws IOException, InterruptedException {
        HttpResponse<byte[]> r = send(request("/claim").POST(HttpRequest.BodyPublishers.noBody()), Duration.ofMinutes(2));
        if (r.statusCode() == 204) {
            return Optional.empty();
        }
        expect(r, 200, "claiming a run");
        return Optional.of(Codecs.TRAINING_JOB.decode(r.body()));
    }

    /** Sends log lines of a run; also the worker's heartbeat. */
    void progress(String runId, String lines) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = send(request("/" + runId + "/progress").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(lines)), Duration.ofSeconds(30));
        expect(r, 204, "reporting progress of " + runId);
    }

    /** Delivers what the run made. */
    void result(TrainingResult result) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = send(request("/" + result.getRunId() + "/result").header("Content-Type", PROTOBUF)
                .POST(HttpRequest.BodyPublishers.ofByteArray(Codecs.TRAINING_RESULT.encode(result))),
                Duration.ofMinutes(5));
        expect(r, 204, "delivering the result of " + result.getRunId());
    }

    /** Says the run failed here, and why. */
    void failure(String runId, String why) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = send(request("/" + runId + "/failure").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(why)), Duration.ofSeconds(30));
        expect(r, 204, "reporting the failure of " + runId);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path + "?worker=" + worker));
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        return b;
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request, Duration timeout)
            throws IOException, InterruptedException {
        return http.send(request.timeout(timeout).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void expect(HttpResponse<byte[]> r, int status, String what) {
        if (r.statusCode() == status) {
            return;
        }
        String body = new String(r.body(), StandardCharsets.UTF_8);
        if (r.statusCode() == 409) {
            throw new LostRun(what + ": " + body);
        }
        if (r.statusCode() >= 400 && r.statusCode() < 500) {
            throw new Refused(what + ": HTTP " + r.statusCode() + " " + body);
        }
        throw new IllegalStateException(what + ": HTTP " + r.statusCode() + " " + body);
    }
}
