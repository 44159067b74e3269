package io.tandem.fleet.bench;

import com.google.protobuf.ByteString;
import io.tandem.distill.data.FashionMnist;
import io.tandem.fleet.process.CloudStack;
import io.tandem.fleet.process.Commands;
import io.tandem.fleet.process.Supervisor;
import io.tandem.fleet.process.TeacherCache;
import io.tandem.proto.Codecs;
import io.tandem.proto.Topics;
import io.tandem.proto.v1.DType;
import io.tandem.proto.v1.GateReason;
import io.tandem.proto.v1.HardExample;
import io.tandem.proto.v1.HardExampleBatch;
import io.tandem.proto.v1.Tensor;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The bridge under load (issue 10, point 7): {@code --devices} MQTT clients connected at once, each
 * publishing {@code --samples} hard examples (QoS 1, a real 28x28 frame each) on its own topic as fast as
 * the broker acknowledges them, {@code --samples-per-message} to a message as a device's upload queue packs them; the bridge forwards them into Kafka, where this bench counts every
 * (device, sequence) it receives. Reports samples per second from the first publish to the last sample in
 * Kafka, and the lost and duplicated samples.
 */
@Command(name = "bridge-bench", mixinStandardHelpOptions = true, description = "Load the MQTT to Kafka bridge.")
public final class BridgeBench implements Runnable {

    @Option(names = "--devices", description = "Devices connected at once (default: ${DEFAULT-VALUE})")
    int devices = 1000;

    @Option(names = "--samples", description = "Samples per device (default: ${DEFAULT-VALUE})")
    int samples = 40;

    @Option(names = "--samples-per-message", description = "Samples in one MQTT message (a HardExampleBatch on the"
            + " sample-batches topic, as devices send what queued up); 1 publishes each on its own on the samples topic"
            + " (default: ${DEFAULT-VALUE})")
    int samplesPerMessage = 128;

    @Option(names = "--in-flight", description = "Unacknowledged publishes in all (default: ${DEFAULT-VALUE})")
    int inFlight = 4000;

    @Option(names = "--mqtt-broker", description = "mosquitto (compose's broker) or embedded (Moquette, the demo's)"
            + " (default: ${DEFAULT-VALUE})")
    String mqttBroker = "mosquitto";

    @Option(names = "--bridge-connections", description = "The bridge's MQTT connections; above 1 they share one"
            + " shared subscription, which Moquette lacks (default: ${DEFAULT-VALUE})")
    int bridgeConnections = 4;

    @Option(names = "--work", description = "Work folder (default: ${DEFAULT-VALUE})")
    Path work = Path.of("fleet-sim/target/bridge-bench");

    private final PrintStream log = System.out;

    /** Runs the benchmark. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BridgeBench()).execute(args));
    }

    @Override
    public void run() {
        try (Supervisor processes = new Supervisor(Path.of("").toAbsolutePath(), work.resolve("logs"), log,
                Duration.ofMinutes(20))) {
            measure(processes);
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** One device's messages: its samples, {@link #samplesPerMessage} to a message (a batch unless that is 1). */
    private byte[][] messagesOf(String device, byte[] pixels) {
        List<byte[]> out = new ArrayList<>();
        for (int s = 0; s < samples; s += samplesPerMessage) {
            List<byte[]> examples = new ArrayList<>();
            for (int k = s; k < Math.min(samples, s + samplesPerMessage); k++) {
                examples.add(Codecs.HARD_EXAMPLE.encode(HardExample.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                        .setDeviceId(device).setFleet("bench").setModelVersion("v1").setSequence(k).setIncarnation("b")
                        .setGateReason(GateReason.LOW_CONFIDENCE)
                        .setInput(Tensor.newBuilder().addShape(1).addShape(28).addShape(28).setDtype(DType.UINT8)
                                .setData(ByteString.copyFrom(pixels)))
                        .addAllProbabilities(List.of(0.5f, 0.5f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f)).build()));
            }
            if (samplesPerMessage == 1) {
                out.add(examples.get(0));
            } else {
                HardExampleBatch.Builder batch = HardExampleBatch.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION)
                        .setDeviceId(device).setFleet("bench");
                examples.forEach(e -> batch.addExamples(ByteString.copyFrom(e)));
                out.add(Codecs.HARD_EXAMPLE_BATCH.encode(batch.build()));
            }
        }
        return out.toArray(new byte[0][]);
    }

    /**
     * The sequence field of an encoded HardExample, read without decoding the rest: the bridge has validated the
     * record, and this bench only counts which ones arrived.
     */
    private static long sequenceOf(byte[] example) {
        try {
            com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(example);
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                if (tag == ((HardExample.SEQUENCE_FIELD_NUMBER << 3) | 0)) {
                    return in.readUInt64();
                }
                in.skipField(tag);
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a record of tandem.samples is not a HardExample: " + e.getMessage(), e);
        }
        return 0; // proto3 leaves a zero out
    }

    /** CPU used so far by this bench's own JVM (the devices and the counting consumer) and each stack process. */
    private static Map<String, Duration> cpuTimes(CloudStack local) {
        Map<String, Duration> times = new java.util.HashMap<>(local.cpuTimes());
        times.put("bench", ProcessHandle.current().info().totalCpuDuration().orElse(Duration.ZERO));
        return times;
    }

    private void measure(Supervisor processes) throws Exception {
        Path teacherDir = TeacherCache.teacher(TeacherCache.Recipe.base(FashionMnist.DEBIAN_DIR), TeacherCache.defaultFolder(), processes, log);
        if (!List.of("embedded", "mosquitto").contains(mqttBroker)) {
            throw new IllegalArgumentException("--mqtt-broker takes embedded or mosquitto, got " + mqttBroker);
        }
        if (samplesPerMessage < 1 || samplesPerMessage > Codecs.MAX_EXAMPLES_PER_BATCH) {
            throw new IllegalArgumentException("--samples-per-message takes 1.." + Codecs.MAX_EXAMPLES_PER_BATCH + ", got "
                    + samplesPerMessage);
        }
        if (mqttBroker.equals("embedded") && bridgeConnections > 1) {
            throw new IllegalArgumentException("the embedded broker (Moquette 0.17) has no shared subscriptions:"
                    + " use --bridge-connections 1 with it");
        }
        CloudStack local = new CloudStack(processes, Commands.freshFolder(work.resolve("stack").toAbsolutePath()),
                teacherDir.resolve("teacher.onnx"), mqttBroker.equals("mosquitto"), List.of(
                        "-Dtandem.labeler.enabled=false", "-Dtandem.mqtt.max-inflight=65535",
                        "-Dtandem.bridge.connections=" + bridgeConnections));
        log.printf("==> starting Kafka, %s and the cloud (bridge with %d MQTT connection%s)%n", mqttBroker,
                bridgeConnections, bridgeConnections == 1 ? "" : "s");
        local.start();
        log.printf("==> connecting %d devices%n", devices);
        List<MqttAsyncClient> clients = new ArrayList<>(devices);
        // Up to 50 CONNECTs outstanding: one after the other, a broker that saves on every change takes minutes.
        Semaphore connecting = new Semaphore(50);
        List<IMqttToken> connects = new ArrayList<>(devices);
        for (int d = 0; d < devices; d++) {
            MqttAsyncClient c = new MqttAsyncClient(local.mqttUrl(), "bench-" + d, new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(true);
            o.setMaxInflight(1000);
            o.setKeepAliveInterval(60);
            connecting.acquireUninterruptibly();
            connects.add(c.connect(o, null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    connecting.release();
                }

                @Override
                public void onFailure(IMqttToken token, Throwable error) {
                    connecting.release();
                }
            }));
            clients.add(c);
        }
        for (IMqttToken t : connects) {
            t.waitForCompletion(60_000);
        }
        byte[] pixels = FashionMnist.test(FashionMnist.DEBIAN_DIR).head(1).pixels();
        long total = (long) devices * samples;
        Set<String> seen = new HashSet<>();
        AtomicLong duplicates = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Semaphore window = new Semaphore(inFlight);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, local.bootstrap(), ConsumerConfig.GROUP_ID_CONFIG,
                "bridge-bench-" + System.nanoTime(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.KAFKA_SAMPLES));
            while (consumer.assignment().isEmpty()) {
                consumer.poll(Duration.ofMillis(200));
            }
            log.printf("==> %d devices publish %d samples each (%d in all)%n", devices, samples, total);
            // Every message is made before the clock starts, so the bench's own CPU goes to MQTT and Kafka.
            String[] topics = new String[devices];
            byte[][][] messages = new byte[devices][][];
            for (int d = 0; d < devices; d++) {
                topics[d] = Topics.mqtt("bench", "bench-" + d, samplesPerMessage == 1 ? Topics.DeviceStream.SAMPLES
                        : Topics.DeviceStream.SAMPLE_BATCHES);
                messages[d] = messagesOf("bench-" + d, pixels);
            }
            ExecutorService publishers = Executors.newFixedThreadPool(2);
            Map<String, Duration> cpuBefore = cpuTimes(local);
            long start = System.nanoTime();
            for (int t = 0; t < 2; t++) {
                int part = t;
                publishers.submit(() -> {
                    for (int k = 0; k < messages[0].length; k++) {
                        for (int d = part; d < devices; d += 2) {
                            MqttMessage m = new MqttMessage(messages[d][k]);
                            m.setQos(1);
                            window.acquireUninterruptibly();
                            try {
                                clients.get(d).publish(topics[d], m, null, new IMqttActionListener() {
                                            @Override
                                            public void onSuccess(IMqttToken token) {
                                                window.release();
                                            }

                                            @Override
                                            public void onFailure(IMqttToken token, Throwable error) {
                                                failed.incrementAndGet();
                                                window.release();
                                            }
                                        });
                            } catch (Exception ex) {
                                failed.incrementAndGet();
                                window.release();
                            }
                        }
                    }
                });
            }
            publishers.shutdown();
            long lastNew = System.nanoTime();
            long end = start;
            while (seen.size() < total && System.nanoTime() - lastNew < TimeUnit.SECONDS.toNanos(30)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (!seen.add(r.key() + "#" + sequenceOf(r.value()))) {
                        duplicates.incrementAndGet();
                    }
                    lastNew = System.nanoTime();
                    end = lastNew;
                }
            }
            double seconds = (end - start) / 1e9;
            Map<String, Duration> cpuAfter = cpuTimes(local);
            long publishedAt = publishers.awaitTermination(1, TimeUnit.SECONDS) ? 1 : 0;
            log.printf("==> result: %s, %d bridge connection%s, %d devices, %d samples per message, %d samples"
                    + " published (%d messages failed), %d distinct in Kafka, lost %d, duplicated %d, %.1f s, %.0f"
                    + " samples/s end to end%s%n", mqttBroker, bridgeConnections, bridgeConnections == 1 ? "" : "s",
                    devices, samplesPerMessage, total, failed.get(),
                    seen.size(), total - seen.size(), duplicates.get(), seconds, seen.size() / seconds,
                    publishedAt == 1 ? "" : " (publishers still running)");
            StringBuilder cpu = new StringBuilder();
            double cpuTotal = 0;
            for (String name : List.of("bench", "mqtt", "cloud", "kafka")) {
                double used = (cpuAfter.get(name).toMillis() - cpuBefore.get(name).toMillis()) / 1000.0;
                cpuTotal += used;
                cpu.append(String.format(" %s %.1f s,", name, used));
            }
            log.printf("==> CPU while it ran (%d cores, %.1f s of CPU available):%s in all %.1f s (%.0f%% of the"
                    + " machine)%n", Runtime.getRuntime().availableProcessors(), seconds
                    * Runtime.getRuntime().availableProcessors(), cpu, cpuTotal, 100 * cpuTotal / (seconds
                    * Runtime.getRuntime().availableProcessors()));
        } finally {
            clients.parallelStream().forEach(c -> {
                try {
                    c.disconnectForcibly(0, 100, false);
                    c.close(true);
                } catch (Exception e) {
                    // closing
                }
            });
        }
    }
}
