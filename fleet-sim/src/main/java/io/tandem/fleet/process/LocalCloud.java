package io.tandem.fleet.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The cloud side of a local run, as processes: the local stack (Kafka KRaft and MQTT), the cloud teacher on free
 * ports, with the teacher, the data set and any further {@code tandem.*} settings given, and a retrain worker that
 * trains what the cloud's pipeline queues (or several, sharing its queue).
 *
 * @param stack the local-stack process
 * @param cloud the cloud-teacher process
 * @param workers the retrain-worker processes
 * @param bootstrap Kafka bootstrap servers
 * @param mqttUrl MQTT broker URL
 * @param apiBase the cloud's HTTP base URL
 */
public record LocalCloud(ChildProcess stack, ChildProcess cloud, List<ChildProcess> workers, String bootstrap, String mqttUrl, String apiBase) {

    /**
     * Starts the stack, waits until it is ready, then starts the cloud and a retrain worker (not waiting for them).
     *
     * @param settings further {@code -Dtandem.…} (or other {@code -D}) options of the cloud
     */
    public static LocalCloud start(Supervisor processes, Path work, Path teacherOnnx, Path data, List<String> settings) {
        return start(processes, work, teacherOnnx, data, settings, 1);
    }

    /**
     * Starts the stack, then the cloud and {@code workers} retrain workers sharing its queue.
     *
     * @param settings further {@code -Dtandem.…} (or other {@code -D}) options of the cloud
     */
    public static LocalCloud start(Supervisor processes, Path work, Path teacherOnnx, Path data, List<String> settings,
            int workers) {
        int[] ports = Supervisor.freePorts(4);
        int kafkaPort = ports[0];
        int mqttPort = ports[1];
        int httpPort = ports[2];
        String bootstrap = "127.0.0.1:" + kafkaPort;
        String mqttUrl = "tcp://127.0.0.1:" + mqttPort;
        String apiBase = "http://127.0.0.1:" + httpPort;
        String java = Supervisor.java();
        ChildProcess stack = processes.launch("local-stack", List.of(java, "-Xmx768m", "-cp",
                processes.classpath("local-stack"), "io.tandem.localstack.LocalStack", "--kafka-port", "" + kafkaPort,
                "--kafka-controller-port", "" + ports[3], "--mqtt-port", "" + mqttPort,
                "--data-dir", work.resolve("local-stack").toString()), line -> line.startsWith("tandem local-stack READY"));
        stack.awaitLine(processes.remaining(), "READY");
        Path quarkusJar = processes.requireFile(Path.of("cloud-teacher/target/quarkus-app/quarkus-run.jar"));
        List<String> command = new ArrayList<>(List.of(java, "-Xmx2g", "-Dquarkus.http.port=" + httpPort, "-Dtandem.public-url=" + apiBase,
                "-Dtandem.mqtt.url=" + mqttUrl, "-Dtandem.kafka.bootstrap-servers=" + bootstrap,
                "-Dtandem.data-dir=" + work.resolve("cloud"), "-Dtandem.teacher.onnx=" + teacherOnnx,
                "-Dtandem.retrain.base-data=" + data));
        command.addAll(settings);
        command.addAll(List.of("-jar", quarkusJar.toString()));
        ChildProcess cloud = processes.launch("cloud", command, null);
        // Training runs in the workers, not in the cloud: DJL offline before any of its classes load.
        List<ChildProcess> started = new ArrayList<>();
        // The workers share the machine's cores for labelling with the teacher and gating (they train one at a time each).
        String onnxThreads = String.valueOf(Math.max(1, Runtime.getRuntime().availableProcessors() / workers));
        for (int i = 1; i <= workers; i++) {
            started.add(processes.launch("worker-" + i, List.of(java, "-Xmx3g", "-Dai.djl.offline=true",
                    "-DOPT_OUT_TRACKING=true", "-cp", processes.classpath("retrain-worker"),
                    "io.tandem.worker.RetrainWorker", "--cloud", apiBase, "--id", "local-worker-" + i, "--work",
                    work.resolve("worker-" + i).toString(), "--data", data.toString(), "--onnx-threads", onnxThreads),
                    null));
        }
        return new LocalCloud(stack, cloud, List.copyOf(started), bootstrap, mqttUrl, apiBase);
    }
}
