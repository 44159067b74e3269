package io.tandem.cloud.joint;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.tandem.cloud.brokers.WithBrokers;
import io.tandem.edge.joint.CircuitBreaker;
import io.tandem.edge.joint.TeacherClient;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.TeacherAnswer;
import io.tandem.proto.v1.TeacherRequest;
import io.tandem.proto.v1.Tensor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The teacher endpoint with the real teacher, and the device's client falling back to its student when the
 * cloud is slow or gone, its circuit breaker closing again once the cloud answers.
 */
@QuarkusTest
@TestProfile(WithBrokers.class)
class JointInferenceTest {

    @TestHTTPResource("/api/teacher/infer")
    URL endpoint;

    static byte[] request(long sequence, int pixels, int budgetMs) {
        // Encoded without the codec's checks, so that the server's are what is tested.
        return TeacherRequest.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                .setDeviceId("cam-j").setFleet("f-joint").setSequence(sequence).setBudgetMs(budgetMs)
                .setInput(Tensor.newBuilder().addAllShape(pixels == 784 ? List.of(1L, 28L, 28L) : List.of((long) pixels))
                        .setDtype(DType.UINT8).setData(ByteString.copyFrom(new byte[pixels]))).build().toByteArray();
    }

    @Test
    void theTeacherAnswersAFrameAndRefusesBadRequestsByName() throws Exception {
        byte[] answer = given().contentType("application/x-protobuf").body(request(7, 784, 2_000))
                .post("/api/teacher/infer").then().statusCode(200).extract().asByteArray();
        TeacherAnswer a = Codecs.TEACHER_ANSWER.decode(answer);
        assertEquals(7, a.getSequence());
        assertEquals(10, a.getProbabilitiesCount());
        assertTrue(a.getTeacherMacs() >= 0);

        given().contentType("application/x-protobuf").body(new byte[] {1, 2, 3}).post("/api/teacher/infer").then()
                .statusCode(400).body(containsString("TeacherRequest"));
        given().contentType("application/x-protobuf").body(request(8, 100, 2_000)).post("/api/teacher/infer").then()
                .statusCode(400).body(containsString("teacher needs 784"));
        given().contentType("application/x-protobuf").body(request(9, 784, 0)).post("/api/teacher/infer").then()
                .statusCode(400).body(containsString("budget_ms"));
        given().get("/api/teacher/stats").then().statusCode(200).body(containsString("answered"));
    }

    @Test
    void aDeviceTakesTheTeachersAnswerWhenItComesAndItsStudentsWhenTheCloudIsGone() throws Exception {
        java.nio.file.Path onnx = java.nio.file.Files.createTempFile("joint-device", ".onnx");
        io.tandem.proto.v1.ModelManifest manifest;
        try (java.io.InputStream a = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.onnx");
             java.io.InputStream b = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.manifest.pb")) {
            java.nio.file.Files.write(onnx, a.readAllBytes());
            manifest = Codecs.MANIFEST.decode(b.readAllBytes());
        }
        for (String endpointUrl : List.of(endpoint.toString(), "http://127.0.0.1:1/api/teacher/infer")) {
            boolean reachable = endpointUrl.equals(endpoint.toString());
            io.tandem.edge.device.DeviceConfig config = io.tandem.edge.device.DeviceConfig.defaults("cam-joint",
                    java.nio.file.Files.createTempDirectory("joint-device"))
                    .withFleet("f-joint", io.tandem.cloud.brokers.EmbeddedBrokers.mqttUrl())
                    .withPace(400, 400, Duration.ofMillis(500))
                    .withGate(new io.tandem.edge.device.DeviceConfig.GateSettings(
                            io.tandem.edge.gate.MiningStrategy.LEAST_CONFIDENCE, 0.2, 0))
                    .withJoint(new TeacherClient.Settings(endpointUrl, 2_000, 1_000, 1_000, Duration.ofSeconds(1)));
            java.util.Random random = new java.util.Random(9);
            io.tandem.edge.feed.FrameSource noise = new io.tandem.edge.feed.FrameSource() {
                private long n;
                private volatile boolean closed;

                @Override
                public io.tandem.edge.feed.Frame next() {
                    if (closed) {
                        throw new io.tandem.edge.feed.SourceClosedException("closed");
                    }
                    byte[] px = new byte[784];
                    random.nextBytes(px);
                    return new io.tandem.edge.feed.Frame(n++, px, 28, 28, (int) (n % 10));
                }

                @Override
                public void close() {
                    closed = true;
                }
            };
            try (io.tandem.edge.device.EdgeDevice device = new io.tandem.edge.device.EdgeDevice(config, noise)) {
                device.provision(onnx, manifest, 0.6f);
                device.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (device.status().inferences() < 400 && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                device.stop(Duration.ofSeconds(10));
                var status = device.status();
                long escalated = status.versions().get(0).escalated();
                assertTrue(escalated > 20, "the budget gate escalates about a fifth of the frames: " + escalated);
                assertEquals(escalated, status.teacherAnswers() + status.teacherFallbacks(),
                        "every escalated frame is answered by someone");
                if (reachable) {
                    assertEquals(escalated, status.teacherAnswers(), "a reachable teacher answers every escalation");
                } else {
                    assertEquals(escalated, status.teacherFallbacks(), "with the cloud gone the student answers");
                    assertEquals(400, status.answeredLabelled(), "and no frame goes unanswered");
                }
            }
        }
    }

    /** Forwards to the real endpoint, or answers slowly, or not at all, as {@link #mode} says. */
    enum Mode { UP, SLOW, DOWN }

    @Test
    void theClientFallsBackWhenTheCloudIsSlowOrGoneAndItsBreakerClosesWhenItRecovers() throws Exception {
        AtomicReference<Mode> mode = new AtomicReference<>(Mode.UP);
        HttpClient forward = HttpClient.newHttpClient();
        HttpServer proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        proxy.setExecutor(Executors.newCachedThreadPool());
        proxy.createContext("/", ex -> {
            try {
                byte[] body = ex.getRequestBody().readAllBytes();
                switch (mode.get()) {
                    case DOWN -> ex.sendResponseHeaders(503, -1);
                    case SLOW -> {
                        Thread.sleep(700);
                        ex.sendResponseHeaders(503, -1);
                    }
                    default -> {
                        HttpResponse<byte[]> r = forward.send(HttpRequest.newBuilder(endpoint.toURI())
                                .header("Content-Type", "application/x-protobuf")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                        ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
                        ex.getResponseBody().write(r.body());
                    }
                }
            } catch (InterruptedException | java.net.URISyntaxException e) {
                ex.sendResponseHeaders(500, -1);
            } catch (IOException e) {
                // the client gave up
            } finally {
                ex.close();
            }
        });
        proxy.start();
        try {
            String url = "http://127.0.0.1:" + proxy.getAddress().getPort() + "/api/teacher/infer";
            List<Long> shape = List.of(1L, 28L, 28L);
            // Warm the path (connections, the teacher's session) with a patient client first.
            TeacherClient patient = new TeacherClient(new TeacherClient.Settings(url, 10_000, 1_000, 3,
                    Duration.ofMillis(300)), "cam-j", "f-joint");
            assertEquals(TeacherClient.Outcome.TEACHER, patient.ask(0, new byte[784], shape).get().outcome());
            TeacherClient client = new TeacherClient(new TeacherClient.Settings(url, 250, 1_000, 3,
                    Duration.ofMillis(300)), "cam-j", "f-joint");
            TeacherClient.Answer first = client.ask(1, new byte[784], shape).get();
            assertEquals(TeacherClient.Outcome.TEACHER, first.outcome(), first.detail());

            mode.set(Mode.SLOW);
            for (int i = 0; i < 3; i++) {
                long t = System.nanoTime();
                TeacherClient.Answer slow = client.ask(2 + i, new byte[784], shape).get();
                assertEquals(TeacherClient.Outcome.TIMEOUT, slow.outcome(), slow.detail());
                assertTrue(System.nanoTime() - t < Duration.ofMillis(600).toNanos(),
                        "the answer is given up at the budget, not when the cloud finally answers");
            }
            assertEquals(CircuitBreaker.State.OPEN, client.breakerState());
            assertEquals(TeacherClient.Outcome.CIRCUIT_OPEN, client.ask(9, new byte[784], shape).get().outcome(),
                    "no request goes out while the breaker is open");

            mode.set(Mode.DOWN);
            Thread.sleep(400);
            assertEquals(TeacherClient.Outcome.ERROR, client.ask(10, new byte[784], shape).get().outcome(),
                    "the trial request finds the cloud gone");
            assertEquals(CircuitBreaker.State.OPEN, client.breakerState());

            mode.set(Mode.UP);
            Thread.sleep(400);
            TeacherClient.Answer back = client.ask(11, new byte[784], shape).get();
            assertEquals(TeacherClient.Outcome.TEACHER, back.outcome(), back.detail());
            assertEquals(CircuitBreaker.State.CLOSED, client.breakerState(), "the breaker closes when the cloud recovers");
            assertEquals(TeacherClient.Outcome.TEACHER, client.ask(12, new byte[784], shape).get().outcome());
        } finally {
            proxy.stop(0);
        }
        TeacherClient gone = new TeacherClient(new TeacherClient.Settings("http://127.0.0.1:1/api/teacher/infer", 100,
                1_000, 2, Duration.ofSeconds(5)), "cam-j", "f-joint");
        assertEquals(TeacherClient.Outcome.ERROR, gone.ask(1, new byte[784], List.of(1L, 28L, 28L)).get().outcome());
        assertEquals(TeacherClient.Outcome.ERROR, gone.ask(2, new byte[784], List.of(1L, 28L, 28L)).get().outcome());
        assertEquals(TeacherClient.Outcome.CIRCUIT_OPEN, gone.ask(3, new byte[784], List.of(1L, 28L, 28L)).get()
                .outcome());
    }

    @jakarta.inject.Inject
    io.tandem.cloud.registry.ModelRegistry registry;

    @Test
    void aSiteDeviceIsAnsweredUnderTheMixOfObjectsItsSitesStudentLearnt() throws Exception {
        String site = "quay" + System.nanoTime() % 100_000;
        byte[] plain = given().contentType("application/x-protobuf").body(request(21, 784, 2_000))
                .post("/api/teacher/infer").then().statusCode(200).extract().asByteArray();
        int unshifted = Codecs.TEACHER_ANSWER.decode(plain).getPredictedClass();
        int favoured = (unshifted + 1) % 10;

        // The site's student learnt that it sees almost only the favoured class; the device itself runs the
        // fleet-wide student.
        io.tandem.proto.v1.ModelManifest fixture;
        try (java.io.InputStream b = getClass().getClassLoader().getResourceAsStream("fixtures/student-tiny.manifest.pb")) {
            fixture = Codecs.MANIFEST.decode(b.readAllBytes());
        }
        java.nio.file.Path file = java.nio.file.Files.createTempFile("site-student", ".onnx");
        java.nio.file.Files.writeString(file, site);
        float[] shift = new float[10];
        java.util.Arrays.fill(shift, -3f);
        shift[favoured] = 30f;
        io.tandem.proto.v1.ModelManifest.Builder m = fixture.toBuilder()
                .setModelId(io.tandem.cloud.registry.ModelRegistry.studentId(site)).setVersion(site + "-v1")
                .setDeviceGroup(site).setSha256(io.tandem.distill.manifest.ModelArtifacts.sha256(file))
                .setSizeBytes(java.nio.file.Files.size(file));
        io.tandem.proto.ManifestMetrics.putSiteLogitShift(m, shift);
        registry.register(file, m.build());
        String device = site + "-cam";
        io.tandem.cloud.brokers.Wire.produceKafka(io.tandem.proto.Topics.KAFKA_TELEMETRY, device,
                Codecs.TELEMETRY.encode(io.tandem.proto.v1.Telemetry.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                        .setDeviceId(device).setFleet("f-joint").setGroup(site).setModelVersion("v1")
                        .setTimeMs(System.currentTimeMillis()).build()));
        assertTrue(io.tandem.cloud.brokers.Wire.eventually(Duration.ofSeconds(30),
                () -> given().get("/api/v1/fleet/" + device).statusCode() == 200), "the fleet state heard the device");

        byte[] body = TeacherRequest.newBuilder().mergeFrom(request(22, 784, 2_000)).setDeviceId(device).build()
                .toByteArray();
        TeacherAnswer site1 = Codecs.TEACHER_ANSWER.decode(given().contentType("application/x-protobuf").body(body)
                .post("/api/teacher/infer").then().statusCode(200).extract().asByteArray());
        assertEquals(favoured, site1.getPredictedClass(), "the site's mix moves the teacher's answer");
        // A device the cloud does not know, or one on a fleet-wide student, gets the teacher as it is.
        TeacherAnswer other = Codecs.TEACHER_ANSWER.decode(given().contentType("application/x-protobuf")
                .body(request(23, 784, 2_000)).post("/api/teacher/infer").then().statusCode(200).extract().asByteArray());
        assertEquals(unshifted, other.getPredictedClass());
    }
}
