package io.tandem.fleet.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.edge.stats.DeviceStatus;
import io.tandem.fleet.cloud.CloudApi;
import java.io.PrintStream;
import java.util.List;

/**
 * The loop demo's {@code report.json}: per student version, the devices that acknowledged it, the accuracy
 * the devices measured on the frames it answered, what it learned from; and the sample counts taken where
 * they happen (sent by the devices, in Kafka, labelled by the cloud).
 */
public final class LoopReport {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LoopReport() {
    }

    /** What the demo measured, gathered before the report is built. */
    public record Inputs(List<DeviceStatus> devices, List<JsonNode> manifests, JsonNode fleetView, JsonNode cloudStats,
            long samplesSent, long samplesInKafka, long samplesLabelled, double seconds) {
    }

    /** Builds the report. */
    public static ObjectNode build(Inputs in) {
        ObjectNode report = JSON.createObjectNode();
        ArrayNode devs = report.putArray("devices");
        in.devices().forEach(d -> devs.add(d.deviceId()));
        ArrayNode versions = report.putArray("versions");
        for (JsonNode m : in.manifests()) {
            String v = m.path("version").asText();
            ObjectNode row = versions.addObject();
            row.put("version", v);
            ArrayNode acked = row.putArray("acked_by");
            CloudApi.ackedBy(in.fleetView(), v).stream().sorted().forEach(acked::add);
            long frames = 0;
            long correct = 0;
            ObjectNode perDevice = row.putObject("edge_accuracy_by_device");
            for (DeviceStatus d : in.devices()) {
                d.version(v).ifPresent(vs -> {
                    if (vs.labelled() > 0) {
                        perDevice.put(d.deviceId(), vs.accuracy());
                    }
                });
                frames += d.version(v).map(DeviceStatus.Version::labelled).orElse(0L);
                correct += d.version(v).map(DeviceStatus.Version::correct).orElse(0L);
            }
            if (frames == 0) {
                row.putNull("edge_accuracy");
            } else {
                row.put("edge_accuracy", correct / (double) frames);
            }
            row.put("edge_frames", frames);
            row.put("trained_on_samples", m.path("edgeSamples").asLong(0));
            row.put("base_training_samples", m.path("baseTrainingSamples").asLong(0));
            row.put("parent_teacher_version", m.path("parentTeacherVersion").asText());
            row.put("parent_version", m.path("parentVersion").asText(""));
            row.put("eval_accuracy", m.path("metrics").path("eval_accuracy").asDouble());
            row.put("teacher_eval_accuracy", m.path("metrics").path("teacher_eval_accuracy").asDouble());
            row.put("sha256", m.path("sha256").asText());
        }
        report.put("samples_sent", in.samplesSent());
        report.put("samples_in_kafka", in.samplesInKafka());
        report.put("samples_labelled", in.samplesLabelled());
        report.set("cloud_rejections", in.cloudStats().path("rejected"));
        ObjectNode edgeRejections = report.putObject("edge_rejections");
        in.devices().forEach(d -> edgeRejections.put(d.deviceId(), d.rejectedMessages()));
        report.put("seconds", Math.round(in.seconds()));
        return report;
    }

    /** Prints the report's table. */
    public static void printSummary(JsonNode report, PrintStream out) {
        out.println();
        out.println("version  acked by        edge accuracy  trained on edge samples  parent teacher");
        for (JsonNode v : report.path("versions")) {
            out.printf("%-8s %-15s %-14s %-24d %s%n", v.path("version").asText(), v.path("acked_by").size() + " devices",
                    v.path("edge_accuracy").isNull() ? "n/a" : String.format("%.4f", v.path("edge_accuracy").asDouble()),
                    v.path("trained_on_samples").asLong(), v.path("parent_teacher_version").asText());
        }
        out.printf("samples sent %d, in Kafka %d, labelled %d; %d s%n", report.path("samples_sent").asLong(),
                report.path("samples_in_kafka").asLong(), report.path("samples_labelled").asLong(),
                report.path("seconds").asLong());
    }
}
