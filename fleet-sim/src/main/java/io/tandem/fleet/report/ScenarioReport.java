package io.tandem.fleet.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.distill.data.ImageSet;
import io.tandem.edge.stats.DeviceStatus;
import io.tandem.fleet.cloud.CloudApi;
import io.tandem.fleet.eval.ModelJudge;
import io.tandem.fleet.eval.ShadowStudents;
import io.tandem.fleet.scenario.Scenario;
import io.tandem.proto.ManifestMetrics;
import io.tandem.proto.v1.ModelManifest;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A scenario run's reports: {@code report.json} (the loop demo's keys, every round, the teachers and
 * students, and the {@code summary} measured on the drifted groups, each target with its verdict) and a
 * self-contained {@code report.html} with the curves a buyer reads.
 */
public final class ScenarioReport {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What to report, gathered by the run. */
    public record Inputs(Scenario scenario, List<RoundRecord> rounds, List<DeviceStatus> devices, CloudApi api,
            ModelJudge judge, Map<String, Double> oracle, Map<String, ShadowStudents.Result> shadows,
            Map<String, ImageSet> heldOut, long samplesSent,
            long samplesInKafka, long samplesLabelled, long humanLabels, long unknownFrames, JsonNode cloudStats,
            double seconds) {
    }

    /** A target of the summary: its bound and direction. */
    private record Target(String key, double bound, boolean atLeast) {
    }

    private static final List<Target> TARGETS = List.of(new Target("drift_loss_points", 15, true),
            new Target("recovered_fraction", 0.9, true), new Target("rounds_to_recover_90", 3, false),
            new Target("uploaded_fraction", 0.10, false), new Target("human_label_fraction", 0.01, false),
            new Target("mining_minus_random_points", 1.0, true), new Target("specialised_minus_global_points", 1.0, true),
            new Target("teacher_gain_on_drift_points", 5.0, true),
            new Target("teacher_minus_best_student_points", 2.0, true));

    private ScenarioReport() {
    }

    /** Builds {@code report.json}. */
    public static ObjectNode build(Inputs in) {
        Scenario s = in.scenario();
        ObjectNode report = JSON.createObjectNode();
        report.put("scenario", s.name());
        report.put("description", s.description());
        ArrayNode devs = report.putArray("devices");
        in.devices().forEach(d -> devs.add(d.deviceId()));
        JsonNode fleetView = in.api().fleet();
        JsonNode models = in.api().models();
        ArrayNode versions = report.putArray("versions");
        List<String> studentIds = new ArrayList<>();
        models.fieldNames().forEachRemaining(id -> {
            if (id.startsWith("student")) {
                studentIds.add(id);
            }
        });
        List<String[]> students = new ArrayList<>();
        for (String id : studentIds) {
            for (JsonNode v : models.path(id)) {
                students.add(new String[] {id, v.asText()});
                versions.add(versionRow(in, id, v.asText(), fleetView));
            }
        }
        ArrayNode teachers = report.putArray("teachers");
        List<String> teacherVersions = new ArrayList<>();
        models.path("teacher").forEach(v -> teacherVersions.add(v.asText()));
        for (String t : teacherVersions) {
            ModelManifest m = in.judge().manifest("teacher", t);
            ObjectNode row = teachers.addObject();
            row.put("version", t);
            row.put("parent_version", m.getParentVersion());
            row.set("data_by_source", JSON.valueToTree(m.getDataBySourceMap()));
            row.put("eval_accuracy", m.getMetricsOrDefault("eval_accuracy", Double.NaN));
            ObjectNode perGroup = row.putObject("held_out_accuracy_by_group");
            for (Scenario.Group g : s.groups()) {
                perGroup.put(g.name(), in.judge().accuracy("teacher", t, finalFrames(in, g.name())));
            }
        }
        ArrayNode rounds = report.putArray("rounds");
        in.rounds().forEach(r -> rounds.add(JSON.valueToTree(r)));
        long frames = in.rounds().stream().flatMap(r -> r.groups().stream()).mapToLong(RoundRecord.Group::frames).sum();
        long uploads = in.rounds().stream().flatMap(r -> r.groups().stream()).mapToLong(RoundRecord.Group::uploads).sum();
        report.put("frames_answered", frames);
        report.put("samples_uploaded", uploads);
        report.put("human_labels", in.humanLabels());
        report.put("teacher_rounds", in.api().retrain().path("teacher_rounds").asInt());
        report.set("training_runs", in.api().pipelineRuns());
        report.put("samples_sent", in.samplesSent());
        report.put("samples_in_kafka", in.samplesInKafka());
        report.put("samples_labelled", in.samplesLabelled());
        report.put("results_with_unknown_frames", in.unknownFrames());
        report.set("cloud_rejections", in.cloudStats().path("rejected"));
        ObjectNode edgeRejections = report.putObject("edge_rejections");
        in.devices().forEach(d -> edgeRejections.put(d.deviceId(), d.rejectedMessages()));
        report.set("oracle_accuracy_by_group", JSON.valueToTree(in.oracle()));
        report.set("shadow_students_by_group", JSON.valueToTree(in.shadows()));
        report.put("seconds", Math.round(in.seconds()));
        ObjectNode summary = summary(in, frames, uploads, teacherVersions, students);
        report.set("summary", summary);
        ObjectNode targets = report.putObject("targets");
        for (Target t : TARGETS) {
            ObjectNode row = targets.putObject(t.key());
            row.put("target", (t.atLeast() ? ">= " : "<= ") + t.bound());
            JsonNode v = summary.path(t.key());
            if (v.isNull() || v.isMissingNode()) {
                row.put("met", false);
                row.put("note", "not measured in this run");
            } else {
                double value = v.asDouble();
                boolean met = t.atLeast() ? value >= t.bound() : value <= t.bound();
                row.put("met", met);
                if (!met) {
                    row.put("missed_by", Math.abs(value - t.bound()));
                }
            }
        }
        return report;
    }

    private static ObjectNode versionRow(Inputs in, String id, String version, JsonNode fleetView) {
        ModelManifest m = in.judge().manifest(id, version);
        ObjectNode row = JSON.createObjectNode();
        row.put("model_id", id);
        row.put("version", version);
        row.put("device_group", m.getDeviceGroup());
        ArrayNode acked = row.putArray("acked_by");
        CloudApi.ackedBy(fleetView, version).stream().sorted().forEach(acked::add);
        long frames = 0;
        double correct = 0;
        for (RoundRecord r : in.rounds()) {
            for (RoundRecord.Group g : r.groups()) {
                if (g.answeredBy().equals(version)) {
                    frames += g.frames();
                    correct += g.streamAccuracy() * g.frames();
                }
            }
        }
        if (frames == 0) {
            row.putNull("edge_accuracy");
        } else {
            row.put("edge_accuracy", correct / frames);
        }
        row.put("edge_frames", frames);
        row.put("trained_on_samples", m.getEdgeSamples());
        row.put("base_training_samples", m.getBaseTrainingSamples());
        row.put("parent_teacher_version", m.getParentTeacherVersion());
        row.put("parent_version", m.getParentVersion());
        row.put("eval_accuracy", m.getMetricsOrDefault("eval_accuracy", Double.NaN));
        row.put("teacher_eval_accuracy", m.getMetricsOrDefault("teacher_eval_accuracy", Double.NaN));
        row.set("data_by_source", JSON.valueToTree(m.getDataBySourceMap()));
        row.put("sha256", m.getSha256());
        return row;
    }

    /** The held-out frames of a group as it sees things at the end of the scenario. */
    private static ImageSet finalFrames(Inputs in, String group) {
        String dist = in.scenario().distributionOf(group, in.scenario().rounds() - 1).name();
        return in.heldOut().get(group + "/" + dist);
    }

    private static ObjectNode summary(Inputs in, long answered, long uploads, List<String> teachers,
            List<String[]> students) {
        Scenario s = in.scenario();
        List<String> drifted = s.groups().stream().map(Scenario.Group::name).filter(g -> s.driftRound(g) > 0).toList();
        List<Double> loss = new ArrayList<>();
        List<Double> recovered = new ArrayList<>();
        List<Integer> toRecover = new ArrayList<>();
        List<Double> specialised = new ArrayList<>();
        List<Double> teacherGain = new ArrayList<>();
        boolean neverRecovered = false;
        for (String g : drifted) {
            int rd = s.driftRound(g);
            // The drift is measured on the first student, which a fleet without the loop would still run.
            double before = group(in, rd - 1, g).baselines().getOrDefault("no_loop", Double.NaN);
            double after = group(in, rd, g).baselines().getOrDefault("no_loop", Double.NaN);
            double oracle = in.oracle().getOrDefault(g, Double.NaN);
            loss.add((before - after) * 100);
            int last = Math.min(s.rounds() - 1, rd + 2);
            double at3 = group(in, last, g).heldOutAccuracyAfter();
            recovered.add((at3 - after) / (oracle - after));
            Integer k90 = null;
            for (int k = 1; rd + k - 1 < s.rounds(); k++) {
                double acc = group(in, rd + k - 1, g).heldOutAccuracyAfter();
                if ((acc - after) / (oracle - after) >= 0.9) {
                    k90 = k;
                    break;
                }
            }
            if (k90 == null) {
                neverRecovered = true;
            } else {
                toRecover.add(k90);
            }
            RoundRecord.Group end = group(in, last, g);
            specialised.add((end.heldOutAccuracyAfter() - end.baselines().getOrDefault("global_only", Double.NaN)) * 100);
            if (!teachers.isEmpty()) {
                ImageSet frames = finalFrames(in, g);
                teacherGain.add((in.judge().accuracy("teacher", teachers.get(teachers.size() - 1), frames)
                        - in.judge().accuracy("teacher", teachers.get(0), frames)) * 100);
            }
        }
        ObjectNode summary = JSON.createObjectNode();
        summary.put("drifted_groups", String.join(",", drifted));
        summary.put("definitions", "Accuracies are on each drifted group's held-out frames (never shown to a"
                + " device). Right after drift = the first student (v1) on the drifted frames, what a fleet without the"
                + " loop runs; after k rounds = the model the group runs once the retraining of the drift round and"
                + " the k-1 rounds after it is rolled out. recovered_fraction = (after 3 rounds - right after drift) /"
                + " (oracle - right after drift).");
        put(summary, "drift_loss_points", mean(loss));
        put(summary, "oracle_accuracy", mean(drifted.stream().map(g -> in.oracle().getOrDefault(g, Double.NaN)).toList()));
        put(summary, "recovered_fraction", mean(recovered));
        if (neverRecovered || toRecover.isEmpty()) {
            summary.putNull("rounds_to_recover_90");
        } else {
            summary.put("rounds_to_recover_90", toRecover.stream().mapToInt(Integer::intValue).max().orElseThrow());
        }
        put(summary, "uploaded_fraction", answered == 0 ? Double.NaN : uploads / (double) answered);
        put(summary, "human_label_fraction", answered == 0 ? Double.NaN : in.humanLabels() / (double) answered);
        put(summary, "mining_minus_random_points", mean(in.shadows().values().stream()
                .map(r -> (r.mined() - r.random()) * 100).toList()));
        put(summary, "specialised_minus_global_points", mean(specialised));
        put(summary, "teacher_gain_on_drift_points", mean(teacherGain));
        double smallest = Double.NaN;
        String pair = "";
        Map<String, float[]> shifts = new java.util.HashMap<>();
        for (String[] st : students) {
            ModelManifest m = in.judge().manifest(st[0], st[1]);
            String t = m.getParentTeacherVersion();
            if (!teachers.contains(t)) {
                continue;
            }
            List<String> groupsOf = m.getDeviceGroup().isEmpty()
                    ? s.groups().stream().map(Scenario.Group::name).toList() : List.of(m.getDeviceGroup());
            for (String g : groupsOf) {
                ImageSet frames = finalFrames(in, g);
                // The teacher as it answers this group's devices: under the group's mix of objects when its latest
                // site student learnt one (the cloud adds the same shift to its answers for the group's devices).
                double margin = (in.judge().accuracy("teacher", t, frames,
                        shifts.computeIfAbsent(g, group -> siteShift(in, group)))
                        - in.judge().accuracy(st[0], st[1], frames)) * 100;
                if (Double.isNaN(smallest) || margin < smallest) {
                    smallest = margin;
                    pair = t + " over " + st[0] + " " + st[1] + " on " + g;
                }
            }
        }
        put(summary, "teacher_minus_best_student_points", smallest);
        summary.put("teacher_minus_best_student_pair", pair);
        return summary;
    }

    /** The logit shift of {@code group}'s latest site student (its mix of objects), empty when there is none. */
    private static float[] siteShift(Inputs in, String group) {
        List<String> versions = in.api().versions("student." + group);
        return versions.isEmpty() ? new float[0]
                : ManifestMetrics.siteLogitShift(in.judge().manifest("student." + group, versions.get(versions.size() - 1)));
    }

    private static RoundRecord.Group group(Inputs in, int round, String group) {
        return in.rounds().get(Math.max(0, round)).groups().stream().filter(x -> x.group().equals(group)).findFirst()
                .orElseThrow();
    }

    private static double mean(List<Double> values) {
        return values.isEmpty() ? Double.NaN : values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    }

    private static void put(ObjectNode node, String key, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            node.putNull(key);
        } else {
            node.put(key, Math.round(value * 10_000) / 10_000.0);
        }
    }

    /** Prints the summary with each target's verdict. */
    public static void printSummary(JsonNode report, PrintStream out) {
        out.println();
        out.println("summary (drifted groups: " + report.path("summary").path("drifted_groups").asText() + ")");
        report.path("targets").fields().forEachRemaining(e -> {
            JsonNode v = report.path("summary").path(e.getKey());
            JsonNode t = e.getValue();
            out.printf(Locale.ROOT, "  %-34s %10s  target %-8s %s%n", e.getKey(), v.isNull() ? "n/a" : v.asText(),
                    t.path("target").asText(), t.path("met").asBoolean() ? "met" : t.has("missed_by")
                            ? String.format(Locale.ROOT, "MISSED by %.4f", t.path("missed_by").asDouble())
                            : "MISSED (" + t.path("note").asText() + ")");
        });
        out.printf("samples sent %d, in Kafka %d, labelled %d; %d human labels; %d s%n", report.path("samples_sent").asLong(),
                report.path("samples_in_kafka").asLong(), report.path("samples_labelled").asLong(),
                report.path("human_labels").asLong(), report.path("seconds").asLong());
    }

    /** The self-contained HTML report: every chart inline. */
    public static String html(JsonNode report) {
        JsonNode rounds = report.path("rounds");
        int n = rounds.size();
        StringBuilder h = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Tandem: ")
                .append(Svg.esc(report.path("scenario").asText())).append("</title><style>body{font-family:sans-serif;"
                        + "max-width:1000px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}"
                        + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}"
                        + ".miss{color:#c00;font-weight:bold}.met{color:#080}</style></head><body>");
        h.append("<h1>Tandem scenario: ").append(Svg.esc(report.path("scenario").asText())).append("</h1><p>")
                .append(Svg.esc(report.path("description").asText())).append("</p>");
        h.append("<h2>Summary, measured on the drifted group(s)</h2><table><tr><th>measure</th><th>value</th>"
                + "<th>target</th><th>verdict</th></tr>");
        report.path("targets").fields().forEachRemaining(e -> {
            JsonNode v = report.path("summary").path(e.getKey());
            boolean met = e.getValue().path("met").asBoolean();
            h.append("<tr><td style=\"text-align:left\">").append(e.getKey()).append("</td><td>")
                    .append(v.isNull() ? "n/a" : v.asText()).append("</td><td>").append(e.getValue().path("target").asText())
                    .append("</td><td class=\"").append(met ? "met\">met" : "miss\">missed" + (e.getValue().has("missed_by")
                            ? String.format(Locale.ROOT, " by %.4f", e.getValue().path("missed_by").asDouble())
                            : ": " + e.getValue().path("note").asText())).append("</td></tr>");
        });
        h.append("</table>");
        List<String> groups = new ArrayList<>();
        if (n > 0) {
            rounds.get(0).path("groups").forEach(g -> groups.add(g.path("group").asText()));
        }
        for (int gi = 0; gi < groups.size(); gi++) {
            String g = groups.get(gi);
            Map<String, double[]> series = new LinkedHashMap<>();
            series.put("Tandem (held-out)", new double[n]);
            series.put("Tandem (stream)", new double[n]);
            for (String b : List.of("no_loop", "global_only", "cloud_only")) {
                series.put(b.replace('_', ' '), new double[n]);
            }
            List<Integer> drift = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                JsonNode row = rounds.get(r).path("groups").get(gi);
                series.get("Tandem (held-out)")[r] = row.path("heldOutAccuracy").asDouble(Double.NaN);
                series.get("Tandem (stream)")[r] = row.path("streamAccuracy").asDouble(Double.NaN);
                for (String b : List.of("no_loop", "global_only", "cloud_only")) {
                    series.get(b.replace('_', ' '))[r] = row.path("baselines").path(b).asDouble(Double.NaN);
                }
                if (row.path("drifted").asBoolean()) {
                    drift.add(r);
                }
            }
            double oracle = report.path("oracle_accuracy_by_group").path(g).asDouble(Double.NaN);
            if (!Double.isNaN(oracle)) {
                double[] o = new double[n];
                java.util.Arrays.fill(o, oracle);
                series.put("oracle", o);
            }
            h.append("<h2>Group ").append(Svg.esc(g)).append("</h2>");
            h.append(Svg.lineChart("Accuracy of the model each round ran, " + g, n, series, drift, 0.3, 1.0, "accuracy"));
        }
        Map<String, double[]> costs = new LinkedHashMap<>();
        costs.put("uploads", new double[n]);
        costs.put("human labels", new double[n]);
        for (int r = 0; r < n; r++) {
            double up = 0;
            for (JsonNode g : rounds.get(r).path("groups")) {
                up += g.path("uploads").asDouble();
            }
            costs.get("uploads")[r] = up;
            costs.get("human labels")[r] = rounds.get(r).path("humanLabels").asDouble();
        }
        JsonNode shadows = report.path("shadow_students_by_group");
        if (shadows.size() > 0) {
            h.append("<h2>Which frames came back</h2><p>The loop's own recipe and teacher, the same number of human"
                    + " labels, on the site's held-out frames:</p><table><tr><th>group</th><th>mined uploads</th>"
                    + "<th>random uploads, same budget</th><th>upload everything</th><th>uploads</th></tr>");
            shadows.fields().forEachRemaining(e -> h.append(String.format(Locale.ROOT,
                    "<tr><td>%s</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%d</td></tr>", Svg.esc(e.getKey()),
                    e.getValue().path("mined").asDouble(), e.getValue().path("random").asDouble(),
                    e.getValue().path("everything").asDouble(), e.getValue().path("uploads").asInt())));
            h.append("</table>");
        }
        h.append("<h2>What the loop spent</h2>").append(Svg.barChart("Uploads and human labels per round", n, costs,
                "samples"));
        h.append("<h2>Teachers</h2><table><tr><th>version</th><th>parent</th><th>learnt from</th><th>base test</th>");
        groups.forEach(g -> h.append("<th>").append(Svg.esc(g)).append(" held-out</th>"));
        h.append("</tr>");
        for (JsonNode t : report.path("teachers")) {
            h.append("<tr><td>").append(t.path("version").asText()).append("</td><td>")
                    .append(t.path("parent_version").asText()).append("</td><td>")
                    .append(Svg.esc(t.path("data_by_source").toString())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.4f", t.path("eval_accuracy").asDouble())).append("</td>");
            groups.forEach(g -> h.append("<td>").append(String.format(Locale.ROOT, "%.4f",
                    t.path("held_out_accuracy_by_group").path(g).asDouble())).append("</td>"));
            h.append("</tr>");
        }
        h.append("</table><h2>Students</h2><table><tr><th>model</th><th>version</th><th>group</th><th>teacher</th>"
                + "<th>learnt from</th><th>base test</th><th>devices</th></tr>");
        for (JsonNode v : report.path("versions")) {
            h.append("<tr><td>").append(v.path("model_id").asText()).append("</td><td>").append(v.path("version").asText())
                    .append("</td><td>").append(Svg.esc(v.path("device_group").asText("fleet"))).append("</td><td>")
                    .append(v.path("parent_teacher_version").asText()).append("</td><td>")
                    .append(Svg.esc(v.path("data_by_source").toString())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.4f", v.path("eval_accuracy").asDouble())).append("</td><td>")
                    .append(v.path("acked_by").size()).append("</td></tr>");
        }
        h.append("</table><h2>Training runs</h2><p>Each run as the retrain workers took it from the cloud's queue, oldest"
                + " first:</p><table><tr><th>run</th><th>trains</th><th>worker</th><th>seconds</th><th>state</th>"
                + "<th>ships</th><th>why</th></tr>");
        List<JsonNode> runs = new ArrayList<>();
        report.path("training_runs").forEach(runs::add);
        java.util.Collections.reverse(runs);
        for (JsonNode r : runs) {
            long ms = r.path("finishedMs").asLong() - r.path("claimedMs").asLong();
            h.append("<tr><td>").append(Svg.esc(r.path("id").asText())).append("</td><td>")
                    .append(Svg.esc(r.path("modelId").asText() + " " + r.path("version").asText())).append("</td><td>")
                    .append(Svg.esc(r.path("worker").asText())).append("</td><td>")
                    .append(ms > 0 ? String.format(Locale.ROOT, "%.1f", ms / 1000.0) : "").append("</td><td>")
                    .append(Svg.esc(r.path("state").asText())).append("</td><td>")
                    .append(r.path("promoted").asBoolean() ? "yes" : "no").append("</td><td>")
                    .append(Svg.esc(r.path("outcome").asText())).append("</td></tr>");
        }
        h.append("</table><p>Samples sent ").append(report.path("samples_sent").asLong()).append(", in Kafka ")
                .append(report.path("samples_in_kafka").asLong()).append(", labelled ")
                .append(report.path("samples_labelled").asLong()).append("; ").append(report.path("seconds").asLong())
                .append(" s.</p></body></html>\n");
        return h.toString();
    }
}
