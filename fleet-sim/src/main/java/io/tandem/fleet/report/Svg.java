package io.tandem.fleet.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Small SVG charts for the self-contained HTML report: no fonts, scripts or files needed to show them. */
final class Svg {

    static final String[] COLOURS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1"};

    private Svg() {
    }

    /**
     * A line chart of series over rounds, with a dashed vertical line at each round in {@code markers}.
     * NaN values leave a gap.
     */
    static String lineChart(String title, int rounds, Map<String, double[]> series, List<Integer> markers, double yMin,
            double yMax, String yLabel) {
        int w = 640;
        int h = 300;
        int left = 50;
        int right = 170;
        int top = 30;
        int bottom = 40;
        double plotW = w - left - right;
        double plotH = h - top - bottom;
        StringBuilder s = open(w, h, left, title);
        for (int k = 0; k <= 4; k++) {
            double v = yMin + (yMax - yMin) * k / 4;
            double y = top + plotH - plotH * k / 4;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>", left, y, left + plotW, y, left - 4,
                    y + 4, v));
        }
        for (int r = 0; r < rounds; r++) {
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>",
                    x(r, rounds, left, plotW), h - bottom + 15, r));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">round</text>",
                left + plotW / 2, h - 5));
        s.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 %.1f)\""
                + " text-anchor=\"middle\">%s</text>", top + plotH / 2, top + plotH / 2, esc(yLabel)));
        for (int m : markers) {
            double x = x(m, rounds, left, plotW) - plotW / Math.max(1, rounds - 1) / 2;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e15759\""
                    + " stroke-dasharray=\"5,4\"/><text x=\"%.1f\" y=\"%d\" fill=\"#e15759\">drift</text>", x, top, x,
                    top + plotH, x + 3, top + 10));
        }
        int i = 0;
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            String colour = COLOURS[i % COLOURS.length];
            StringBuilder path = new StringBuilder();
            boolean pen = false;
            double[] v = e.getValue();
            for (int r = 0; r < v.length; r++) {
                if (Double.isNaN(v[r])) {
                    pen = false;
                    continue;
                }
                double y = top + plotH - plotH * (clamp(v[r], yMin, yMax) - yMin) / (yMax - yMin);
                path.append(String.format(Locale.ROOT, "%s%.1f,%.1f ", pen ? "L" : "M", x(r, rounds, left, plotW), y));
                pen = true;
                s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>",
                        x(r, rounds, left, plotW), y, colour));
            }
            s.append(String.format(Locale.ROOT, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>", path,
                    colour));
            double ly = top + 12 + i * 16;
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"3\" fill=\"%s\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\">%s</text>", left + plotW + 10, ly - 4, colour, left + plotW + 26, ly,
                    esc(e.getKey())));
            i++;
        }
        return s.append("</svg>").toString();
    }

    /** Grouped bars per round, one bar per series. */
    static String barChart(String title, int rounds, Map<String, double[]> series, String yLabel) {
        double max = 1;
        for (double[] v : series.values()) {
            for (double d : v) {
                max = Math.max(max, d);
            }
        }
        int w = 640;
        int h = 240;
        int left = 50;
        int right = 170;
        int top = 30;
        int bottom = 40;
        double plotW = w - left - right;
        double plotH = h - top - bottom;
        StringBuilder s = open(w, h, left, title);
        for (int k = 0; k <= 4; k++) {
            double y = top + plotH - plotH * k / 4;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>", left, y, left + plotW, y, left - 4,
                    y + 4, max * k / 4));
        }
        double slot = plotW / rounds;
        double bar = slot * 0.8 / Math.max(1, series.size());
        int i = 0;
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            String colour = COLOURS[i % COLOURS.length];
            for (int r = 0; r < rounds && r < e.getValue().length; r++) {
                double bh = plotH * e.getValue()[r] / max;
                s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                        + " fill=\"%s\"/>", left + r * slot + slot * 0.1 + i * bar, top + plotH - bh, bar, bh, colour));
            }
            double ly = top + 12 + i * 16;
            s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"8\" fill=\"%s\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\">%s</text>", left + plotW + 10, ly - 8, colour, left + plotW + 26, ly,
                    esc(e.getKey())));
            i++;
        }
        for (int r = 0; r < rounds; r++) {
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>",
                    left + r * slot + slot / 2, h - bottom + 15, r));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">round</text>"
                + "<text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 %.1f)\" text-anchor=\"middle\">%s</text>",
                left + plotW / 2, h - 5, top + plotH / 2, top + plotH / 2, esc(yLabel)));
        return s.append("</svg>").toString();
    }

    /** The opening tag of a {@code w x h} chart and its title. */
    private static StringBuilder open(int w, int h, int left, String title) {
        return new StringBuilder(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
                + " height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\"><text x=\"%d\""
                + " y=\"18\" font-size=\"13\" font-weight=\"bold\">%s</text>", w, h, w, h, left, esc(title)));
    }

    private static double x(int round, int rounds, int left, double plotW) {
        return left + (rounds <= 1 ? plotW / 2 : plotW * round / (rounds - 1));
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
