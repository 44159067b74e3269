package io.tandem.edge.ota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.ModelManifest;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelUpdaterTest {

    @TempDir
    Path dir;

    private HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private byte[] model;
    private ModelManifest manifest;

    @BeforeEach
    void serve() throws IOException {
        model = resource("models/student-tiny.onnx");
        manifest = Codecs.MANIFEST.decode(resource("models/student-tiny.manifest.pb"));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = files.get(exchange.getRequestURI().getPath());
            if (body == null) {
                exchange.sendResponseHeaders(404, -1);
            } else {
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ModelUpdaterTest.class.getClassLoader().getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    private DeployCommand command(String version, String path, byte[] body, ModelManifest m) throws Exception {
        files.put(path, body);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        return DeployCommand.newBuilder().setSchemaVersion(1).setFleet("f").setRolloutId("r1").setModelId("student")
                .setModelVersion(version).setArtifactUrl("http://127.0.0.1:" + server.getAddress().getPort() + path)
                .setSha256(sha).setSizeBytes(body.length).setConfidenceThreshold(0.6f)
                .setManifest(m.toBuilder().setVersion(version)).build();
    }

    @Test
    void verifiesLoadsAndSwapsOnlyGoodModels() throws Exception {
        try (ModelUpdater updater = new ModelUpdater(dir, 1, DeviceConfig.OtaSettings.DEFAULT)) {
            DeployAck.Builder ok = updater.apply(command("v1", "/v1", model, manifest));
            assertEquals(DeployAck.Status.ACTIVE, ok.getStatus(), ok.getDetail());
            float[] p = updater.active().orElseThrow().model().probabilities(new byte[784]);
            assertEquals(10, p.length);
            double sum = 0;
            for (float v : p) {
                sum += v;
            }
            assertEquals(1.0, sum, 1e-4);

            DeployCommand tampered = command("v2", "/v2", model, manifest).toBuilder().setSha256("a".repeat(64)).build();
            DeployAck.Builder bad = updater.apply(tampered);
            assertEquals(DeployAck.Status.FAILED_VERIFICATION, bad.getStatus());
            assertTrue(bad.getDetail().contains("sha256"), bad.getDetail());
            assertEquals("v1", updater.active().orElseThrow().model().version(), "the running model stays");

            byte[] corrupt = java.util.Arrays.copyOf(model, model.length / 2);
            DeployAck.Builder broken = updater.apply(command("v3", "/v3", corrupt, manifest));
            assertEquals(DeployAck.Status.FAILED_LOAD, broken.getStatus());
            assertEquals("v1", updater.active().orElseThrow().model().version());

            ModelManifest wrongClasses = manifest.toBuilder().clearClassLabels().addClassLabels("only-one").build();
            DeployAck.Builder mismatch = updater.apply(command("v4", "/v4", model, wrongClasses));
            assertEquals(DeployAck.Status.FAILED_LOAD, mismatch.getStatus());
            assertTrue(mismatch.getDetail().contains("classes"), mismatch.getDetail());

            DeployCommand missing = command("v5", "/v5", model, manifest).toBuilder()
                    .setArtifactUrl("http://127.0.0.1:" + server.getAddress().getPort() + "/gone").build();
            assertEquals(DeployAck.Status.FAILED_DOWNLOAD, updater.apply(missing).getStatus());

            DeployAck.Builder next = updater.apply(command("v6", "/v6", model, manifest));
            assertEquals(DeployAck.Status.ACTIVE, next.getStatus());
            assertEquals("v1", next.getPreviousVersion());
            assertTrue(Files.exists(dir.resolve("student-v1.onnx")), "the previous model is kept on disk");
            assertTrue(updater.isCurrent(command("v6", "/v6", model, manifest)));
        }
    }
}
