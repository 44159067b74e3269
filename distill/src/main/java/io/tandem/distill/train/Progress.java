package io.tandem.distill.train;

import java.io.PrintStream;
import java.time.Duration;

/**
 * A text progress bar with throughput and ETA for long loops. On a terminal it redraws one line; piped
 * to a file or a parent process it prints a line every tenth of the work so logs stay short.
 */
public final class Progress {

    private final PrintStream out;
    private final String label;
    private final long total;
    private final long startNanos = System.nanoTime();
    private final boolean terminal = System.console() != null;
    private int lastDecile = -1;
    private long lastDrawNanos;
    private boolean done;

    /** Starts tracking {@code total} units of work under a label. */
    public Progress(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
    }

    /** Reports that {@code done} units are finished, with a short status such as the running loss. */
    public void update(long done, String status) {
        if (this.done) {
            return;
        }
        long now = System.nanoTime();
        int decile = (int) (10 * done / total);
        boolean finished = done >= total;
        this.done = finished;
        if (terminal) {
            if (!finished && now - lastDrawNanos < 200_000_000L) {
                return;
            }
            lastDrawNanos = now;
            out.print("\r" + line(done, status, now) + (finished ? System.lineSeparator() : ""));
            out.flush();
        } else if (decile != lastDecile || finished) {
            lastDecile = decile;
            out.println(line(done, status, now));
            out.flush();
        }
    }

    private String line(long done, String status, long now) {
        double seconds = (now - startNanos) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        long etaSeconds = done == 0 ? 0 : (long) ((total - done) / rate);
        int width = 24;
        int filled = (int) (width * Math.min(done, total) / total);
        return String.format("%s [%s%s] %3d%% %d/%d %.0f/s eta %s %s", label, "=".repeat(filled),
                " ".repeat(width - filled), 100 * done / total, done, total, rate, format(Duration.ofSeconds(etaSeconds)),
                status);
    }

    private static String format(Duration d) {
        return d.toMinutes() > 0 ? d.toMinutes() + "m" + d.toSecondsPart() + "s" : d.toSeconds() + "s";
    }
}
