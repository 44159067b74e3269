package io.tandem.fleet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;
import io.tandem.distill.data.Normalization;
import io.tandem.distill.eval.OnnxClassifier;
import io.tandem.distill.zoo.ModelZoo;
import io.tandem.fleet.process.CloudStack;
import io.tandem.fleet.process.Commands;
import io.tandem.fleet.process.Supervisor;
import io.tandem.fleet.process.TeacherCache;
import io.tandem.proto.ArtifactDigest;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.DeployAck;
import io.tandem.proto.v1.DeployCommand;
import io.tandem.proto.v1.InferenceResult;
import io.tandem.proto.v1.ModelManifest;
import io.tandem.proto.v1.ResultBatch;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Rollout plans at fleet scale (issue 11's target): {@code --devices} simulated devices on the real Mosquitto,
 * Kafka and cloud (processes), each one MQTT client that obeys deploy commands (device-specific ones win over
 * the fleet's), acknowledges them, and reports results on the frames it answers with the labels of
 * Fashion-MNIST's test images, answered by the version it runs: the models' answers are computed once with ONNX
 * Runtime (a good teacher, and a weak one trained on 600 images as the bad model), so accuracy is measured,
 * not made up. What the devices skip is the download, the signature check and the inference itself.
 * <p>
 * Plan 1 ships a good model in four waves, with the cloud killed ({@code kill -9}) and restarted in its
 * second wave; it must complete. Plan 2 ships the bad model with the same waves; it must stop in its first
 * wave, no device outside that wave may hear of it, and every device of the wave must be back on the
 * previous version within 60 s. Writes {@code --work}/report.json.
 */
@Command(name = "rollout-bench", mixinStandardHelpOptions = true, description = "Rollout plans on many devices.")
public final class RolloutBench implements Runnable {

    @Option(names = "--devices", description = "Simulated devices (default: ${DEFAULT-VALUE})")
    int devices = 1000;

    @Option(names = "--waves", split = ",", description = "The plans' waves (default: ${DEFAULT-VALUE})")
    List<String> waves = List.of("5%", "20%", "50%", "100%");

    @Option(names = "--report-every-ms", description = "How often each device reports its results (default: ${DEFAULT-VALUE})")
    int reportEveryMs = 2000;

    @Option(names = "--work", description = "Work folder (default: ${DEFAULT-VALUE})")
    Path work = Path.of("fleet-sim/target/rollout-bench");

    @Option(names = "--project-dir", description = "The project's root, where the built modules are (default: the"
            + " current folder)")
    Path projectDir = Path.of("");

    @Option(names = "--good-limit", description = "Training images of the good model (default: ${DEFAULT-VALUE})")
    int goodLimit = 58_000;

    @Option(names = "--good-epochs", description = "Epochs of the good model (default: ${DEFAULT-VALUE})")
    int goodEpochs = 2;

    @Option(names = "--bad-limit", description = "Training images of the bad model (default: ${DEFAULT-VALUE})")
    int badLimit = 600;

    @Option(names = "--cache", description = "Where trained models are cached (default: the user's cache folder)")
    Path cache = TeacherCache.defaultFolder();

    private final PrintStream log = System.out;
    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    /** Runs the benchmark. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new RolloutBench()).execute(args));
    }

    /** One simulated device: what it runs, what it heard. */
    private final class Device {
        final String id;
        final MqttAsyncClient client;
        volatile String active = "";
        volatile boolean deviceSpecific;
        final Set<String> heard = ConcurrentHashMap.newKeySet();
        long sequence;

        Device(String id, String url) throws Exception {
            this.id = id;
            client = new MqttAsyncClient(url, id, new MemoryPersistence());
        }

        void connect() throws Exception {
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(true);
            o.setMaxInflight(1000);
            o.setKeepAliveInterval(60);
            client.connect(o).waitForCompletion(30_000);
            client.subscribe(new String[] {Topics.fleetDeploy(FLEET), Topics.deviceDeploy(FLEET, id)}, new int[] {1, 1},
                    null, null, new org.eclipse.paho.client.mqttv3.IMqttMessageListener[] {
                        (t, m) -> onDeploy(m, false), (t, m) -> onDeploy(m, true)}).waitForCompletion(30_000);
        }

        synchronized void onDeploy(MqttMessage m, boolean forMe) throws Exception {
            DeployCommand c = Codecs.DEPLOY_COMMAND.decode(m.getPayload());
            heard.add(c.getModelVersion());
            DeployAck.Builder ack = DeployAck.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(id)
                    .setFleet(FLEET).setRolloutId(c.getRolloutId()).setModelVersion(c.getModelVersion())
                    .setPreviousVersion(active).setTimeMs(System.currentTimeMillis());
            if (!forMe && deviceSpecific) {
                ack.setStatus(DeployAck.Status.SUPERSEDED).setDetail("a command for this device alone is in force");
            } else {
                deviceSpecific |= forMe;
                active = c.getModelVersion();
                ack.setStatus(DeployAck.Status.ACTIVE);
            }
            publish(Topics.DeviceStream.ACKS, Codecs.DEPLOY_ACK.encode(ack.build()));
        }

        void report(Map<String, int[]> answers, int[] labels, Random random, int n) throws Exception {
            String version = active;
            int[] predicted = answers.get(version);
            if (predicted == null) {
                return;
            }
            ResultBatch.Builder b = ResultBatch.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId(id)
                    .setFleet(FLEET).setModelVersion(version).setBatchSequence(sequence);
            for (int i = 0; i < n; i++) {
                int frame = random.nextInt(labels.length);
                b.addResults(InferenceResult.newBuilder().setSequence(sequence++).setCaptureTimeMs(System.currentTimeMillis())
                        .setPredictedClass(predicted[frame]).setConfidence(0.9f).setGroundTruth(labels[frame])
                        .setSourceFrame(frame));
            }
            publish(Topics.DeviceStream.RESULTS, Codecs.RESULT_BATCH.encode(b.build()));
        }

        private void publish(Topics.DeviceStream stream, byte[] payload) throws Exception {
            if (client.isConnected()) {
                client.publish(Topics.mqtt(FLEET, id, stream), payload, 1, false);
            }
        }
    }

    private static final String FLEET = "bench";

    @Override
    public void run() {
        try (Supervisor processes = new Supervisor(projectDir.toAbsolutePath(), work.resolve("logs"), log,
                Duration.ofMinutes(30))) {
            measure(processes);
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private void measure(Supervisor processes) throws Exception {
        Path good = TeacherCache.teacher(new TeacherCache.Recipe(ModelZoo.TEACHER_CNN, goodLimit, goodEpochs, 42,
                FashionMnist.DEBIAN_DIR), cache, processes, log);
        Path bad = TeacherCache.teacher(new TeacherCache.Recipe(ModelZoo.TEACHER_CNN, badLimit, 1, 7,
                FashionMnist.DEBIAN_DIR), cache, processes, log);
        ImageSet test = FashionMnist.test(FashionMnist.DEBIAN_DIR).head(2000);
        Map<String, int[]> answers = new ConcurrentHashMap<>();
        int[] goodAnswers = answer(good, test);
        int[] badAnswers = answer(bad, test);
        log.printf("==> answers on 2,000 test images: good model %.3f, bad model %.3f%n", accuracy(goodAnswers, test),
                accuracy(badAnswers, test));

        CloudStack stack = new CloudStack(processes, Commands.freshFolder(work.resolve("stack").toAbsolutePath()),
                good.resolve("teacher.onnx"), true, List.of("-Dtandem.labeler.enabled=false",
                        "-Dtandem.mqtt.max-inflight=65535", "-Dtandem.bridge.connections=4",
                        "-Dtandem.rollout.tick-ms=500", "-Dtandem.fleet.max-devices=" + Math.max(100_000, devices)));
        Path registry = work.resolve("stack").toAbsolutePath().resolve("cloud/registry/student");
        register(registry, "v1", good, answers, goodAnswers);
        register(registry, "v2", good, answers, goodAnswers);
        register(registry, "v3-bad", bad, answers, badAnswers);
        log.println("==> starting Kafka, Mosquitto and the cloud");
        stack.start();

        log.printf("==> connecting %d simulated devices%n", devices);
        List<Device> fleet = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            Device device = new Device(String.format("dev-%04d", d), stack.mqttUrl());
            device.connect();
            fleet.add(device);
        }
        Thread reporter = new Thread(() -> {
            Random random = new Random(1);
            while (!Thread.currentThread().isInterrupted()) {
                long start = System.nanoTime();
                for (Device d : fleet) {
                    try {
                        d.report(answers, test.labels(), random, 2);
                    } catch (Exception e) {
                        // a full in-flight window: the next round reports again
                    }
                }
                try {
                    Thread.sleep(Math.max(0, reportEveryMs - (System.nanoTime() - start) / 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "reporter");
        reporter.setDaemon(true);
        reporter.start();
        ObjectNode report = json.createObjectNode();
        report.put("devices", devices);
        report.put("waves", String.join(",", waves));
        report.put("good_accuracy", accuracy(goodAnswers, test));
        report.put("bad_accuracy", accuracy(badAnswers, test));
        try {
            post(stack, "/api/rollouts", "{\"modelId\":\"student\",\"version\":\"v1\",\"fleet\":\"" + FLEET + "\"}");
            waitFor(processes, stack, "every device on v1", () -> fleet.stream().allMatch(d -> d.active.equals("v1")));
            waitFor(processes, stack, "the cloud to see every device", () -> fleetSize(stack) >= devices);

            long t0 = System.currentTimeMillis();
            String first = planId(post(stack, "/api/v1/rollouts", plan("v2")));
            log.printf("==> plan %s: v2 in waves %s%n", first, waves);
            waitFor(processes, stack, "wave 2 of the good plan", () -> wave(stack, first) >= 1);
            log.println("==> kill -9 of the cloud in wave 2, then a restart");
            stack.killCloud();
            stack.startCloud();
            waitFor(processes, stack, "the good plan to complete", () -> state(stack, first).equals("COMPLETED"));
            long goodMs = System.currentTimeMillis() - t0;
            long onV2 = fleet.stream().filter(d -> d.active.equals("v2")).count();
            log.printf("==> good plan completed in %.1f s through a cloud restart; %d of %d devices on v2%n",
                    goodMs / 1000.0, onV2, devices);
            report.put("good_plan_completed_s", goodMs / 1000.0);
            report.put("good_plan_devices_on_new", onV2);

            long t1 = System.currentTimeMillis();
            String second = planId(post(stack, "/api/v1/rollouts", plan("v3-bad")));
            waitFor(processes, stack, "the bad plan to stop", () -> state(stack, second).equals("STOPPED"));
            long stoppedMs = System.currentTimeMillis() - t1;
            JsonNode stopped = get(stack, "/api/v1/rollouts/" + second);
            Set<String> firstWave = ConcurrentHashMap.newKeySet();
            stopped.path("waves").path(0).path("devices").forEach(d -> firstWave.add(d.path("deviceId").asText()));
            // From the moment the plan stopped (its record's last update, on this machine's clock), not from when this
            // bench's poll noticed: the return commands leave with the stop.
            long stopAt = stopped.path("updatedMs").asLong(System.currentTimeMillis());
            waitFor(processes, stack, "the first wave back on v2", () -> fleet.stream().filter(d -> firstWave.contains(d.id))
                    .allMatch(d -> d.active.equals("v2")));
            long backMs = System.currentTimeMillis() - stopAt;
            long touchedOutside = fleet.stream().filter(d -> !firstWave.contains(d.id) && d.heard.contains("v3-bad")).count();
            log.printf("==> bad plan stopped in wave %d after %.1f s: %s%n", stopped.path("currentWave").asInt() + 1,
                    stoppedMs / 1000.0, stopped.path("reason").asText());
            log.printf("==> %d devices of wave 1 back on v2 %.1f s after the stop; %d devices outside wave 1 heard of"
                    + " v3-bad%n", firstWave.size(), backMs / 1000.0, touchedOutside);
            report.put("bad_plan_stopped_in_wave", stopped.path("currentWave").asInt() + 1);
            report.put("bad_plan_stopped_after_s", stoppedMs / 1000.0);
            report.put("bad_plan_reason", stopped.path("reason").asText());
            report.put("bad_plan_first_wave_devices", firstWave.size());
            report.put("bad_plan_back_on_previous_s", backMs / 1000.0);
            report.put("bad_plan_devices_touched_outside_first_wave", touchedOutside);
        } finally {
            reporter.interrupt();
            fleet.parallelStream().forEach(d -> {
                try {
                    d.client.disconnectForcibly(0, 100, false);
                    d.client.close(true);
                } catch (Exception e) {
                    // closing
                }
            });
        }
        Files.writeString(work.resolve("report.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        log.println("==> wrote " + work.resolve("report.json"));
    }

    private String plan(String version) {
        return "{\"modelId\":\"student\",\"version\":\"" + version + "\",\"fleet\":\"" + FLEET + "\",\"waves\":"
                + json.valueToTree(waves) + ",\"successThreshold\":0.95,\"soakSeconds\":8,\"ackTimeoutSeconds\":60,"
                + "\"stop\":{\"maxFailedFraction\":0.05,\"maxAccuracyDrop\":0.05,\"minFrames\":100}}";
    }

    /** Writes a model into the registry's folder as the registry lays it out (the manifest last). */
    private static void register(Path registry, String version, Path teacherDir, Map<String, int[]> answers,
            int[] predicted) throws Exception {
        Path onnx = teacherDir.resolve("teacher.onnx");
        ModelManifest m = Codecs.MANIFEST.decode(Files.readAllBytes(teacherDir.resolve("teacher.manifest.pb"))).toBuilder()
                .setModelId("student").setVersion(version).setRole("student").setSha256(ArtifactDigest.sha256(onnx))
                .setSizeBytes(Files.size(onnx)).setCreatedAtMs(System.currentTimeMillis()).build();
        Path dir = registry.resolve(version);
        Files.createDirectories(dir);
        Files.copy(onnx, dir.resolve("model.onnx"));
        Files.write(dir.resolve("manifest.pb"), Codecs.MANIFEST.encode(m));
        answers.put(version, predicted);
    }

    private static int[] answer(Path teacherDir, ImageSet images) throws Exception {
        ModelManifest m = Codecs.MANIFEST.decode(Files.readAllBytes(teacherDir.resolve("teacher.manifest.pb")));
        var in = m.getInput();
        try (OnnxClassifier c = OnnxClassifier.open(teacherDir.resolve("teacher.onnx"), 1)) {
            float[] logits = c.logits(images, new Normalization(in.getScale(), in.getMean(), in.getStd()));
            int k = c.classes();
            int[] out = new int[images.size()];
            for (int i = 0; i < out.length; i++) {
                int best = 0;
                for (int j = 1; j < k; j++) {
                    if (logits[i * k + j] > logits[i * k + best]) {
                        best = j;
                    }
                }
                out[i] = best;
            }
            return out;
        }
    }

    private static double accuracy(int[] predicted, ImageSet images) {
        int ok = 0;
        for (int i = 0; i < predicted.length; i++) {
            ok += predicted[i] == images.label(i) ? 1 : 0;
        }
        return ok / (double) predicted.length;
    }

    private void waitFor(Supervisor processes, CloudStack stack, String what, BooleanSupplier condition) {
        processes.waitFor(what, condition, stack.cloudProcess());
    }

    private String post(CloudStack stack, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(stack.apiBase() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    private JsonNode get(CloudStack stack, String path) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(stack.apiBase() + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? json.readTree(r.body()) : json.createObjectNode();
        } catch (Exception e) {
            return json.createObjectNode(); // the cloud is restarting
        }
    }

    private String planId(String body) throws Exception {
        return json.readTree(body).path("id").asText();
    }

    private String state(CloudStack stack, String plan) {
        return get(stack, "/api/v1/rollouts/" + plan).path("state").asText();
    }

    private int wave(CloudStack stack, String plan) {
        return get(stack, "/api/v1/rollouts/" + plan).path("currentWave").asInt(-1);
    }

    private int fleetSize(CloudStack stack) {
        return get(stack, "/api/fleet").size();
    }
}
