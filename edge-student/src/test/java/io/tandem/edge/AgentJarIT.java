package io.tandem.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's one runnable jar: it holds no DJL, PyTorch or Quarkus class, and started with a model shipped
 * with the device and no broker to reach, it answers frames at once.
 */
class AgentJarIT {

    private static final Path JAR = Path.of("target/edge-agent.jar");

    @TempDir
    Path dir;

    @Test
    void theJarHoldsOnlyTheDeviceSide() throws IOException {
        assertTrue(Files.isRegularFile(JAR), "package builds " + JAR);
        try (ZipFile zip = new ZipFile(JAR.toFile())) {
            List<String> banned = zip.stream().map(ZipEntry::getName)
                    .filter(n -> n.startsWith("ai/djl/") || n.startsWith("org/pytorch/") || n.startsWith("io/quarkus/")
                            || n.startsWith("io/tandem/distill/") || n.startsWith("io/tandem/cloud/"))
                    .toList();
            assertEquals(List.of(), banned);
            assertTrue(zip.getEntry("ai/onnxruntime/native/linux-aarch64/libonnxruntime.so") != null,
                    "the ARM runtime travels with it");
            assertTrue(zip.getEntry("io/tandem/edge/EdgeAgent.class") != null);
        }
    }

    @Test
    void aProvisionedAgentAnswersFramesWithoutAnyNetwork() throws Exception {
        Path images = dir.resolve("frames.idx");
        int n = 64;
        ByteBuffer idx = ByteBuffer.allocate(16 + n * 784).putInt(0x803).putInt(n).putInt(28).putInt(28);
        byte[] pixels = new byte[n * 784];
        new Random(1).nextBytes(pixels);
        Files.write(images, idx.put(pixels).array());
        Path model = copy("models/student-tiny-int8-qdq.onnx");
        Path manifest = copy("models/student-tiny.manifest.pb");
        Path work = dir.resolve("work");
        Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-jar", JAR.toString(), "--device", "jar-it", "--work-dir", work.toString(),
                "--feed-images", images.toString(), "--model", model.toString(), "--manifest", manifest.toString(),
                "--mqtt", "tcp://127.0.0.1:1", "--fps", "500", "--telemetry-ms", "200")
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long inferences = 0;
            while (inferences < 200 && System.nanoTime() < deadline && agent.isAlive()) {
                Thread.sleep(200);
                inferences = inferences(work.resolve("status.json"));
            }
            assertTrue(inferences >= 200, "the shipped model answers frames with no broker: " + inferences
                    + "\n" + Files.readString(dir.resolve("agent.log")));
        } finally {
            agent.destroy();
            assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "SIGTERM stops the agent");
        }
        String log = Files.readString(dir.resolve("agent.log"));
        assertTrue(log.contains("provisioned"), log);
        assertTrue(log.contains("serving the last good model"), log);
        assertTrue(Files.list(work.resolve("uplink").resolve("results")).findAny().isPresent(),
                "results wait on disk for the network");
    }

    private Path copy(String resource) throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(resource)) {
            Path p = dir.resolve(Path.of(resource).getFileName().toString());
            Files.write(p, in.readAllBytes());
            return p;
        }
    }

    private static long inferences(Path status) throws IOException {
        if (!Files.isRegularFile(status)) {
            return 0;
        }
        Matcher m = Pattern.compile("\"inferences\": (\\d+)").matcher(Files.readString(status));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
