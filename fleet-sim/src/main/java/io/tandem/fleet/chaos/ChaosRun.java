package io.tandem.fleet.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.zoo.ModelZoo;
import io.tandem.edge.device.DeviceConfig;
import io.tandem.edge.device.EdgeDevice;
import io.tandem.edge.feed.LoopingIdxSource;
import io.tandem.edge.gate.MiningStrategy;
import io.tandem.edge.uplink.SampleLedger;
import io.tandem.edge.uplink.UploadQueue;
import io.tandem.fleet.process.ChildProcess;
import io.tandem.fleet.process.Commands;
import io.tandem.fleet.process.CloudStack;
import io.tandem.fleet.process.Supervisor;
import io.tandem.fleet.process.TeacherCache;
import io.tandem.proto.Codecs;
import io.tandem.proto.v1.ModelManifest;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Fault injection on the embedded stack with real processes: each scenario runs its own devices against
 * Kafka, the MQTT broker and the cloud (each a process), injects one fault, lets the devices drain, then counts
 * every sample from ground truth (the devices' sample ledgers) against the cloud's sample store and writes
 * {@code report.json}. Exit 0 when every scenario lost nothing, duplicated nothing and counted every drop.
 */
@Command(name = "tandem-chaos", mixinStandardHelpOptions = true,
        description = "Inject faults into the running loop and count every sample from ground truth.")
public final class ChaosRun implements Callable<Integer> {

    /** The scenarios, in the order they run. */
    public static final List<String> SCENARIOS = List.of("cloud-kill", "kafka-down", "edge-kill-queue-half-full",
            "edge-cut-off-overflow", "store-torn-tail", "mqtt-kill-backlog");

    @Option(names = "--project-dir", description = "The Tandem checkout (default: ${DEFAULT-VALUE})")
    Path projectDir = Path.of(".");

    @Option(names = "--work-dir", description = "Where the run writes (default: ${DEFAULT-VALUE})")
    Path workDir = Path.of("target/tandem-chaos");

    @Option(names = "--scenarios", split = ",", description = "Scenarios to run (default: all: ${DEFAULT-VALUE})")
    List<String> scenarios = new ArrayList<>(SCENARIOS);

    @Option(names = "--devices", description = "In-process devices per scenario (default: ${DEFAULT-VALUE})")
    int devices = 4;

    @Option(names = "--fps", description = "Frames per second per device (default: ${DEFAULT-VALUE})")
    double fps = 40;

    @Option(names = "--upload-fraction", description = "Share of frames each device uploads (default: ${DEFAULT-VALUE})")
    double uploadFraction = 0.5;

    @Option(names = "--run-s", description = "Seconds of load around each fault (default: ${DEFAULT-VALUE})")
    int runSeconds = 20;

    @Option(names = "--kafka-down-s", description = "How long Kafka stays down (default: ${DEFAULT-VALUE})")
    int kafkaDownSeconds = 60;

    @Option(names = "--cloud-kills", description = "kill -9 of the cloud in the cloud-kill scenario (default:"
            + " ${DEFAULT-VALUE})")
    int cloudKills = 3;

    @Option(names = "--drain-s", description = "How long the devices and the store may take to settle after a"
            + " scenario (default: ${DEFAULT-VALUE})")
    int drainSeconds = 120;

    @Option(names = "--mqtt-broker", description = "The MQTT broker: mosquitto (Debian's, as docker-compose.yml runs"
            + " it) or embedded (Moquette 0.17, the demo's; it does not always come back whole from a kill -9, see"
            + " bench/RESULTS.md) (default: ${DEFAULT-VALUE})")
    String mqttBroker = "mosquitto";

    @Option(names = "--bridge-connections", description = "The bridge's MQTT connections, sharing one shared"
            + " subscription; the embedded broker has none, so 1 there (default: 4 on Mosquitto, as"
            + " docker-compose.yml runs it, 1 on the embedded broker)")
    Integer bridgeConnections;

    @Option(names = "--receipt-timeout-s", description = "How long a device waits for the cloud's receipt before it"
            + " sends a sample again (default: ${DEFAULT-VALUE})")
    int receiptTimeoutSeconds = 10;

    @Option(names = "--data", description = "Fashion-MNIST folder (default: ${DEFAULT-VALUE})")
    Path data = FashionMnist.DEBIAN_DIR;

    @Option(names = "--cache-dir", description = "Teacher cache (default: ${DEFAULT-VALUE})")
    Path cacheDir = TeacherCache.defaultFolder();

    @Option(names = "--teacher-limit", description = "Base teacher's training images (default: ${DEFAULT-VALUE})")
    int teacherLimit = 58_000;

    @Option(names = "--teacher-epochs", description = "Base teacher's epochs (default: ${DEFAULT-VALUE})")
    int teacherEpochs = 2;

    @Option(names = "--timeout-s", description = "Give up after (default: ${DEFAULT-VALUE})")
    int timeoutSeconds = 1800;

    private final PrintStream out = System.out;
    private CloudStack stack;
    private Supervisor processes;
    private Path teacherOnnx;
    private Path teacherManifest;
    private long feedOffset;

    /** Runs the command line. */
    public static void main(String[] args) {
        Commands.exit("tandem-chaos", new ChaosRun(), args);
    }

    @Override
    public Integer call() throws Exception {
        for (String s : scenarios) {
            if (!SCENARIOS.contains(s)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "unknown scenario " + s + "; known: "
                        + SCENARIOS);
            }
        }
        Path project = projectDir.toAbsolutePath().normalize();
        Path work = Commands.freshFolder(project.resolve(workDir).toAbsolutePath().normalize());
        List<Map<String, Object>> results = new ArrayList<>();
        long started = System.nanoTime();
        try (Supervisor sup = new Supervisor(project, work.resolve("logs"), out, Duration.ofSeconds(timeoutSeconds))) {
            processes = sup;
            Path teacherDir = TeacherCache.teacher(new TeacherCache.Recipe(ModelZoo.TEACHER_CNN, teacherLimit,
                    teacherEpochs, 42, data), cacheDir, sup, out);
            teacherOnnx = teacherDir.resolve("teacher.onnx");
            teacherManifest = teacherDir.resolve("teacher.manifest.pb");
            out.println("==> starting Kafka, the MQTT broker and the cloud, each its own process");
            if (!List.of("embedded", "mosquitto").contains(mqttBroker)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--mqtt-broker takes embedded or"
                        + " mosquitto, got " + mqttBroker);
            }
            boolean mosquitto = mqttBroker.equals("mosquitto");
            int connections = bridgeConnections != null ? bridgeConnections : mosquitto ? 4 : 1;
            stack = new CloudStack(sup, work, teacherOnnx, mosquitto, List.of("-Dtandem.bridge.connections="
                    + connections));
            stack.start();
            for (String name : scenarios) {
                out.println("==> scenario " + name);
                List<String> notes = new ArrayList<>();
                Map<String, Path> ledgers = switch (name) {
                    case "cloud-kill" -> cloudKill(work, notes);
                    case "mqtt-kill-backlog" -> mqttKill(work, notes);
                    case "kafka-down" -> kafkaDown(work, notes);
                    case "edge-kill-queue-half-full" -> edgeKill(work, notes);
                    case "edge-cut-off-overflow" -> edgeCutOff(work, notes);
                    case "store-torn-tail" -> storeTorn(work, notes);
                    default -> throw new IllegalStateException(name);
                };
                Tally tally = settle(name, ledgers);
                out.printf("==> %s: produced %d, stored %d, lost %d, duplicated %d, dropped (counted) %d,"
                        + " dropped (uncounted) %d, unexplained %d: %s%n", name, tally.produced(), tally.stored(),
                        tally.lost(), tally.duplicated(), tally.droppedCounted(), tally.droppedUncounted(),
                        tally.unexplained(), tally.passed() ? "PASS" : "FAIL");
                results.add(tally.asJson(name, notes));
            }
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("scenarios", results);
        report.put("seconds", Math.round((System.nanoTime() - started) / 1e9));
        report.put("settings", Map.of("devices", devices, "fps", fps, "upload_fraction", uploadFraction, "run_s",
                runSeconds, "kafka_down_s", kafkaDownSeconds, "cloud_kills", cloudKills, "mqtt_broker", mqttBroker,
                "receipt_timeout_s", receiptTimeoutSeconds));
        Path file = work.resolve("report.json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);
        boolean passed = results.stream().allMatch(r -> Boolean.TRUE.equals(r.get("passed")));
        out.println("==> " + (passed ? "every scenario passed" : "a scenario FAILED") + "; report: " + file);
        return passed ? 0 : 1;
    }

    // ----- the scenarios -----

    private Map<String, Path> cloudKill(Path work, List<String> notes) throws Exception {
        try (Fleet fleet = fleet(work, "ck", devices, stack.mqttPort(), UploadQueue.Quotas.DEFAULT)) {
            sleep(runSeconds * 1000L / (cloudKills + 1));
            for (int i = 1; i <= cloudKills; i++) {
                stack.killCloud();
                notes.add("kill -9 of the cloud #" + i + " while it labelled");
                sleep(1000);
                stack.startCloud();
                sleep(runSeconds * 1000L / (cloudKills + 1));
            }
            return fleet.stop();
        }
    }

    /** One fault, between two halves of the scenario's load on its own in-process devices. */
    private interface Fault {
        void inject() throws Exception;
    }

    private Map<String, Path> aroundFault(Path work, String prefix, Fault fault) throws Exception {
        try (Fleet fleet = fleet(work, prefix, devices, stack.mqttPort(), UploadQueue.Quotas.DEFAULT)) {
            sleep(runSeconds * 500L);
            fault.inject();
            sleep(runSeconds * 500L);
            return fleet.stop();
        }
    }

    private Map<String, Path> mqttKill(Path work, List<String> notes) throws Exception {
        return aroundFault(work, "mk", () -> {
            stack.freezeCloud(true);
            notes.add("the cloud frozen (SIGSTOP) so the broker queues a backlog for the bridge");
            sleep(3000);
            stack.killMqtt();
            notes.add("kill -9 of the MQTT broker with the backlog queued");
            stack.freezeCloud(false);
            sleep(1000);
            stack.startMqtt();
        });
    }

    private Map<String, Path> kafkaDown(Path work, List<String> notes) throws Exception {
        return aroundFault(work, "kd", () -> {
            stack.killKafka();
            notes.add("kill -9 of Kafka, down for " + kafkaDownSeconds + " s");
            sleep(kafkaDownSeconds * 1000L);
            stack.startKafka();
        });
    }

    private Map<String, Path> edgeKill(Path work, List<String> notes) throws Exception {
        String device = "ek-1";
        Path dir = work.resolve("devices").resolve(device);
        Path ledger = work.resolve("ledgers").resolve(device + ".ledger");
        long quota = 400_000;
        try (TcpProxy proxy = new TcpProxy(stack.mqttPort())) {
            List<String> command = List.of(Supervisor.java(), "-Xmx256m", "-jar",
                    processes.requireFile(Path.of("edge-student/target/edge-agent.jar")).toString(),
                    "--device", device, "--fleet", "chaos", "--mqtt", "tcp://127.0.0.1:" + proxy.port(),
                    "--work-dir", dir.toString(), "--feed-images", data.resolve("t10k-images-idx3-ubyte.gz").toString(),
                    "--feed-offset", Long.toString(nextFeedOffset()), "--fps", Double.toString(fps * 2),
                    "--upload-fraction", Double.toString(uploadFraction), "--model", teacherOnnx.toString(),
                    "--manifest", teacherManifest.toString(), "--queue-samples-bytes", Long.toString(quota),
                    "--receipt-timeout-s", Integer.toString(receiptTimeoutSeconds),
                    "--sample-ledger", ledger.toString());
            ChildProcess agent = processes.launch(device + "-a", command, null);
            sleep(runSeconds * 250L);
            proxy.cut();
            notes.add("the edge cut off from the broker while it keeps producing");
            long half = quota / 2 / 900;
            waitUntil("the edge's queue to be half full (" + half + " samples)",
                    () -> pending(ledger) >= half, Duration.ofSeconds(60));
            notes.add("kill -9 of the edge with " + pending(ledger) + " samples queued (about half its queue)");
            agent.kill();
            Set<String> queuedAtKill = pendingKeys(ledger);
            proxy.restore();
            ChildProcess again = processes.launch(device + "-b", command, null);
            sleep(runSeconds * 500L);
            // The agent drains for 15 s when stopped: first let the restarted edge send what the killed one queued.
            long deadline = System.nanoTime() + Duration.ofSeconds(drainSeconds).toNanos();
            while (pendingKeys(ledger).stream().anyMatch(queuedAtKill::contains) && System.nanoTime() < deadline) {
                sleep(1000);
            }
            again.stop(Duration.ofSeconds(drainSeconds));
            notes.add("the edge restarted on the same work folder, caught up, then stopped with SIGTERM");
        }
        return Map.of(device, ledger);
    }

    private Map<String, Path> edgeCutOff(Path work, List<String> notes) throws Exception {
        try (TcpProxy proxy = new TcpProxy(stack.mqttPort());
             Fleet fleet = fleet(work, "co", 2, proxy.port(), new UploadQueue.Quotas(256 << 10, 16 << 20, 64 << 10,
                     1 << 20))) {
            sleep(runSeconds * 250L);
            proxy.cut();
            notes.add("the edges cut off from the broker until their 64 KiB sample queues overflow");
            waitUntil("the cut-off edges to drop samples from a full queue", () -> fleet.devices.stream()
                    .allMatch(d -> d.status().hardExamplesFailed() >= 20), Duration.ofSeconds(90));
            proxy.restore();
            sleep(runSeconds * 500L);
            return fleet.stop();
        }
    }

    private Map<String, Path> storeTorn(Path work, List<String> notes) throws Exception {
        return aroundFault(work, "st", () -> {
            stack.killCloud();
            try (RandomAccessFile f = new RandomAccessFile(stack.storeFile().toFile(), "rw")) {
                f.setLength(f.length() - 7);
            }
            notes.add("kill -9 of the cloud, then its sample store torn inside its last record (7 bytes cut)");
            stack.startCloud();
        });
    }

    // ----- devices, ledgers and counting -----

    /** In-process devices on the edge library, each with its own sample ledger. */
    private final class Fleet implements AutoCloseable {
        final List<EdgeDevice> devices = new ArrayList<>();
        final List<SampleLedger> ledgers = new ArrayList<>();
        final Map<String, Path> files = new LinkedHashMap<>();
        private boolean stopped;

        Map<String, Path> stop() {
            // One thread per device: every device stops producing at once, then each drains.
            List<Thread> stopping = devices.stream().map(d -> new Thread(() -> d.stop(Duration.ofSeconds(drainSeconds)),
                    "stop-" + d.deviceId())).toList();
            stopping.forEach(Thread::start);
            for (Thread t : stopping) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted stopping devices", e);
                }
            }
            ledgers.forEach(SampleLedger::close);
            stopped = true;
            return files;
        }

        @Override
        public void close() {
            if (!stopped) {
                stop();
            }
        }
    }

    private Fleet fleet(Path work, String prefix, int count, int port, UploadQueue.Quotas quotas) throws IOException {
        Fleet fleet = new Fleet();
        ModelManifest manifest = Codecs.MANIFEST.decode(Files.readAllBytes(teacherManifest));
        for (int i = 1; i <= count; i++) {
            String id = prefix + "-" + i;
            DeviceConfig config = DeviceConfig.defaults(id, work.resolve("devices").resolve(id))
                    .withFleet("chaos", "tcp://127.0.0.1:" + port).withPace(0, fps, Duration.ofSeconds(1))
                    .withGate(new DeviceConfig.GateSettings(MiningStrategy.LEAST_CONFIDENCE, uploadFraction, 0));
            config = config.withRuntime(config.provider(), quotas)
                    .withMqtt(config.mqtt().withReceiptTimeout(receiptTimeoutSeconds));
            EdgeDevice device = new EdgeDevice(config, new LoopingIdxSource(data.resolve("t10k-images-idx3-ubyte.gz"),
                    data.resolve("t10k-labels-idx1-ubyte.gz"), nextFeedOffset()));
            Path ledgerFile = work.resolve("ledgers").resolve(id + ".ledger");
            SampleLedger ledger = new SampleLedger(ledgerFile);
            device.observeUploads(ledger);
            device.provision(teacherOnnx, manifest, 0.6f);
            device.start();
            fleet.devices.add(device);
            fleet.ledgers.add(ledger);
            fleet.files.put(id, ledgerFile);
        }
        return fleet;
    }

    private synchronized long nextFeedOffset() {
        feedOffset = (feedOffset + 1237) % 9000;
        return feedOffset;
    }

    /** Samples a ledger shows queued and neither acknowledged nor dropped. */
    private static long pending(Path ledger) {
        return pendingKeys(ledger).size();
    }

    private static Set<String> pendingKeys(Path ledger) {
        Set<String> out = new java.util.HashSet<>();
        SampleLedger.read(ledger).forEach((k, e) -> {
            if (e.equals(EnumSet.of(SampleLedger.Event.Q))) {
                out.add(k);
            }
        });
        return out;
    }

    /** Waits until every sample the broker acknowledged is in the store (or the drain time passes), then counts. */
    private Tally settle(String name, Map<String, Path> ledgers) {
        Set<String> ids = ledgers.keySet();
        long deadline = System.nanoTime() + Duration.ofSeconds(drainSeconds).toNanos();
        while (true) {
            Map<String, Set<SampleLedger.Event>> ledger = Tally.ledgers(ledgers);
            Map<String, Integer> store = Tally.store(stack.storeFile(), ids::contains);
            long outstanding = Tally.outstanding(ledger, store);
            if (outstanding == 0 || System.nanoTime() > deadline) {
                if (outstanding > 0) {
                    out.println("... " + name + ": " + outstanding + " acknowledged samples still not stored after "
                            + drainSeconds + " s");
                }
                return Tally.of(ledger, store);
            }
            out.println("... " + name + ": waiting for " + outstanding + " acknowledged samples to reach the store");
            sleep(2000);
        }
    }

    private void waitUntil(String what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        out.println("... waiting for " + what);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + what);
            }
            sleep(250);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
