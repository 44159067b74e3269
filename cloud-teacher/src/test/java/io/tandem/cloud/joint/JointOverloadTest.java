package io.tandem.cloud.joint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.edge.joint.CircuitBreaker;
import io.tandem.edge.joint.TeacherClient;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A teacher queue of two frames: a burst gets 429 with a retry hint, and a device's breaker opens on it. */
@QuarkusTest
@TestProfile(JointOverload.class)
class JointOverloadTest {

    @TestHTTPResource("/api/teacher/infer")
    URL endpoint;

    @Test
    void aFullQueueAnswers429WithARetryHintAndNeverQueuesWithoutBound() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        // The teacher loads its ONNX session on the first frame: on a busy machine that alone can take longer than
        // the burst's 2 s budget, and then no frame of the burst is answered. Warm it up with a generous budget.
        HttpResponse<byte[]> warm = http.send(HttpRequest.newBuilder(endpoint.toURI())
                .header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JointInferenceTest.request(1_000_000, 784, 60_000))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, warm.statusCode(), new String(warm.body()));
        List<CompletableFuture<HttpResponse<byte[]>>> burst = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            burst.add(http.sendAsync(HttpRequest.newBuilder(endpoint.toURI())
                    .header("Content-Type", "application/x-protobuf")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JointInferenceTest.request(i, 784, 2_000))).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }
        int ok = 0;
        int refused = 0;
        for (CompletableFuture<HttpResponse<byte[]>> f : burst) {
            HttpResponse<byte[]> r = f.get();
            if (r.statusCode() == 200) {
                ok++;
            } else if (r.statusCode() == 429) {
                refused++;
                assertTrue(r.headers().firstValue("Retry-After").isPresent(), "429 carries Retry-After");
                assertTrue(new String(r.body()).contains("frames waiting"), new String(r.body()));
            }
        }
        assertTrue(ok > 0, "some frames are answered");
        assertTrue(refused > 0, "a burst beyond the queue is refused, not queued: " + ok + " answered");

        TeacherClient client = new TeacherClient(new TeacherClient.Settings(endpoint.toString(), 2_000, 100_000, 5,
                Duration.ofSeconds(1)), "cam-o", "f-joint");
        List<CompletableFuture<TeacherClient.Answer>> asks = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            asks.add(client.ask(i, new byte[784], List.of(1L, 28L, 28L)));
        }
        boolean overloaded = false;
        for (CompletableFuture<TeacherClient.Answer> a : asks) {
            overloaded |= a.get().outcome() == TeacherClient.Outcome.OVERLOADED;
        }
        assertTrue(overloaded, "the client sees the overload");
        assertTrue(client.breakerOpened() >= 1 && client.breakerState() != CircuitBreaker.State.CLOSED,
                "and stops asking for a while");
    }
}
