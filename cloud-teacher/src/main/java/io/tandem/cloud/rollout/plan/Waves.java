package io.tandem.cloud.rollout.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A rollout's waves as written ({@code 5%}, {@code 15%}, {@code 100%} or device counts such as {@code 10}):
 * parsed, checked, and cut out of a target's devices. Each wave names how many devices have the new version
 * once it is done, cumulatively, so {@code 5%,15%,100%} is Mender's 5 → 15 → 80 split; the last wave always
 * takes every device left.
 */
public final class Waves {

    private Waves() {
    }

    /** One wave's size: a percentage of the target or a device count. */
    public record Size(boolean percent, double value) {

        /** Devices updated once this wave is done, of {@code total}; at least one, at most {@code total}. */
        int cumulative(int total) {
            long n = percent ? (long) Math.ceil(total * value / 100.0) : (long) value;
            return (int) Math.max(Math.min(n, total), Math.min(1, total));
        }

        @Override
        public String toString() {
            return percent ? trim(value) + "%" : Long.toString((long) value);
        }

        private static String trim(double v) {
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
        }
    }

    /**
     * Parses wave sizes; a problem names the wave (counted from 1) and says what is wrong.
     *
     * @throws IllegalArgumentException on an empty list, a size that is not a count or a percentage, a
     *     percentage outside (0, 100], a count under 1, or sizes that do not grow from wave to wave
     */
    public static List<Size> parse(List<String> waves) {
        if (waves == null || waves.isEmpty()) {
            throw new IllegalArgumentException("at least one wave is needed");
        }
        if (waves.size() > 100) {
            throw new IllegalArgumentException("at most 100 waves, got " + waves.size());
        }
        List<Size> out = new ArrayList<>();
        for (int i = 0; i < waves.size(); i++) {
            String w = waves.get(i) == null ? "" : waves.get(i).trim().toLowerCase(Locale.ROOT);
            Size size = parseOne(i + 1, w);
            if (!out.isEmpty()) {
                Size before = out.get(out.size() - 1);
                if (before.percent() == size.percent() && size.value() <= before.value()) {
                    throw new IllegalArgumentException("wave " + (i + 1) + " (" + w + ") must be larger than wave " + i
                            + " (" + before + "): sizes count the devices updated so far");
                }
            }
            out.add(size);
        }
        return List.copyOf(out);
    }

    private static Size parseOne(int wave, String w) {
        try {
            if (w.endsWith("%")) {
                double p = Double.parseDouble(w.substring(0, w.length() - 1));
                if (!(p > 0 && p <= 100)) {
                    throw new IllegalArgumentException("wave " + wave + " is " + w + ": a percentage must be over 0%"
                            + " and at most 100%");
                }
                return new Size(true, p);
            }
            long n = Long.parseLong(w);
            if (n < 1 || n > 10_000_000) {
                throw new IllegalArgumentException("wave " + wave + " is " + w + ": a device count must be 1..10000000");
            }
            return new Size(false, n);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("wave " + wave + " is '" + w + "': write a device count (10) or a"
                    + " percentage (25%)");
        }
    }

    /**
     * Cuts {@code devices} (in the order given) into waves: wave i holds the devices between the cumulative
     * sizes of waves i-1 and i; the last wave takes every device left. Waves that would be empty (a target
     * smaller than the plan expects) are dropped.
     */
    public static List<List<String>> split(List<String> devices, List<Size> sizes) {
        List<List<String>> out = new ArrayList<>();
        int done = 0;
        for (int i = 0; i < sizes.size() && done < devices.size(); i++) {
            int upTo = i == sizes.size() - 1 ? devices.size() : Math.max(done, sizes.get(i).cumulative(devices.size()));
            if (upTo > done) {
                out.add(List.copyOf(devices.subList(done, upTo)));
                done = upTo;
            }
        }
        return out;
    }
}
