package io.tandem.fleet.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws the demo's report as an SVG bar chart: edge accuracy per model version, one bar per device and
 * one for the fleet, with the number of edge samples each version learned from. SVG needs no fonts or
 * display on the machine that draws it.
 */
public final class ReportChart {

    private static final String[] COLOURS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"};

    private ReportChart() {
    }

    /** Writes the chart of {@code report} to {@code file}. */
    public static void write(JsonNode report, Path file) {
        List<String> devices = new ArrayList<>();
        report.path("devices").forEach(d -> devices.add(d.asText()));
        List<String> series = new ArrayList<>(devices);
        series.add("fleet");
        int versions = report.path("versions").size();
        int barWidth = 28;
        int groupWidth = Math.max(series.size() * barWidth + 40, 180);
        int left = 60;
        int top = 50;
        int height = 260;
        int width = left + Math.max(1, versions) * groupWidth + 160;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", width, top + height + 70));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">Edge accuracy per student version"
                + "</text>%n", left));
        for (int tick = 0; tick <= 10; tick += 2) {
            double y = top + height - tick / 10.0 * height;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>%n", left, width - 150, y, y, left - 6,
                    y + 4, tick / 10.0));
        }
        int g = 0;
        for (JsonNode v : report.path("versions")) {
            int x0 = left + 20 + g * groupWidth;
            for (int s = 0; s < series.size(); s++) {
                String name = series.get(s);
                JsonNode value = name.equals("fleet") ? v.path("edge_accuracy")
                        : v.path("edge_accuracy_by_device").path(name);
                if (!value.isNumber()) {
                    continue;
                }
                double acc = value.asDouble();
                double h = acc * height;
                int x = x0 + s * barWidth;
                svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" "
                        + "fill=\"%s\"><title>%s %s: %.4f</title></rect>%n", x, top + height - h, barWidth - 4, h,
                        COLOURS[s % COLOURS.length], v.path("version").asText(), name, acc));
                svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"9\" "
                        + "text-anchor=\"middle\">%.3f</text>%n", x + (barWidth - 4) / 2, top + height - h - 3, acc));
            }
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x0 + series.size() * barWidth / 2, top + height + 18, v.path("version").asText()));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">"
                    + "%d edge samples</text>%n", x0 + series.size() * barWidth / 2, top + height + 34,
                    v.path("trained_on_samples").asLong()));
            g++;
        }
        for (int s = 0; s < series.size(); s++) {
            int y = top + 10 + s * 18;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", width - 140, y, COLOURS[s % COLOURS.length], width - 122,
                    y + 10, series.get(s)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#555\">samples sent %d, in Kafka %d, "
                + "labelled %d</text>%n", left, top + height + 58, report.path("samples_sent").asLong(),
                report.path("samples_in_kafka").asLong(), report.path("samples_labelled").asLong()));
        svg.append("</svg>\n");
        try {
            Files.writeString(file, svg);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write chart " + file, e);
        }
    }
}
