package io.tandem.edge.uplink;

import io.tandem.proto.Codecs;
import io.tandem.proto.PayloadException;
import io.tandem.proto.v1.HardExample;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;

/**
 * The device's audit trail of its samples: one line per event, {@code Q|A|D INCARNATION SEQUENCE}, for a sample
 * queued on disk, acknowledged (the cloud's receipt), or dropped by the device (counted). Each line is written
 * straight to the file (no buffer in this process), so a killed device loses none of what it recorded; what
 * the cloud stored can be reconciled against it exactly ({@code bin/tandem-chaos} does).
 */
public final class SampleLedger implements UploadQueue.Listener, AutoCloseable {

    /** What happened to a sample. */
    public enum Event {
        /** Queued on disk, to be sent. */
        Q,
        /** Acknowledged: the cloud's receipt says it is stored (or refused and counted). */
        A,
        /** Dropped by the device and counted. */
        D
    }

    private final Path file;
    private final FileOutputStream out;
    private long unreadable;

    /** Appends to {@code file}, creating it and its folder. */
    public SampleLedger(Path file) {
        this.file = file;
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            this.out = new FileOutputStream(file.toFile(), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the sample ledger " + file, e);
        }
    }

    /**
     * What a ledger file says of each sample, by {@code INCARNATION/SEQUENCE}: the events recorded for it. A line
     * that could not name its sample counts as a sample of its own ({@code ?/N}).
     */
    public static Map<String, EnumSet<Event>> read(Path file) {
        Map<String, EnumSet<Event>> events = new HashMap<>();
        if (!Files.exists(file)) {
            return events;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                String[] w = line.trim().split(" ");
                if (w.length != 3) {
                    continue;
                }
                String key = w[1].equals("?") ? "?/" + events.size() : w[1] + "/" + Long.parseLong(w[2]);
                events.computeIfAbsent(key, k -> EnumSet.noneOf(Event.class)).add(Event.valueOf(w[0]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the sample ledger " + file, e);
        }
        return events;
    }

    @Override
    public void queued(UploadQueue.Kind kind, byte[] payload) {
        record(kind, Event.Q, payload);
    }

    @Override
    public void acknowledged(UploadQueue.Kind kind, byte[] payload) {
        record(kind, Event.A, payload);
    }

    @Override
    public void dropped(UploadQueue.Kind kind, byte[] payload) {
        record(kind, Event.D, payload);
    }

    /** Dropped samples whose message could not be read back, so the ledger cannot name them. */
    public synchronized long unreadable() {
        return unreadable;
    }

    private synchronized void record(UploadQueue.Kind kind, Event event, byte[] payload) {
        if (kind != UploadQueue.Kind.SAMPLES) {
            return;
        }
        String line;
        try {
            HardExample e = payload == null ? null : Codecs.HARD_EXAMPLE.decode(payload);
            line = e == null ? event + " ? ?\n" : event + " " + e.getIncarnation() + " " + e.getSequence() + "\n";
        } catch (PayloadException ex) {
            line = event + " ? ?\n";
        }
        if (line.contains("?")) {
            unreadable++;
        }
        try {
            out.write(line.getBytes(StandardCharsets.UTF_8));
        } catch (IOException ex) {
            System.out.println("sample ledger: cannot write " + file + ": " + ex.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            System.out.println("sample ledger: closing " + file + ": " + e.getMessage());
        }
    }
}
