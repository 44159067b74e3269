package io.tandem.edge.uplink;

import io.tandem.proto.v1.StreamStats;
import io.tandem.proto.v1.UploadQueueStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Everything a device sends, on disk until the broker acknowledges it: one file per message under
 * {@code <dir>/<stream>/}, so a restart resends what was not acknowledged. Each stream is bounded in bytes.
 * {@link #offer} never blocks and never waits for the network: when a stream is full, telemetry drops its
 * oldest message and samples drop the least useful one (or refuse the new one if it is the least useful);
 * results and acknowledgements drop their oldest. Every drop is counted. A sender thread publishes acks,
 * then results, then samples, then telemetry, oldest first, with a bounded number in flight.
 */
public final class UploadQueue implements AutoCloseable {

    /** The streams, in the order the sender serves them. */
    public enum Kind { ACKS, RESULTS, SAMPLES, TELEMETRY }

    /**
     * Bytes each stream may hold on disk.
     *
     * @param acks deploy acknowledgements (default 256 KiB)
     * @param results result batches (default 16 MiB)
     * @param samples hard examples and audits (default 32 MiB)
     * @param telemetry telemetry (default 1 MiB)
     */
    public record Quotas(long acks, long results, long samples, long telemetry) {

        /** The defaults. */
        public static final Quotas DEFAULT = new Quotas(256 << 10, 16 << 20, 32 << 20, 1 << 20);

        /** Checks that each quota holds at least one message of 4 KiB. */
        public Quotas {
            for (long q : new long[] {acks, results, samples, telemetry}) {
                if (q < 4096) {
                    throw new IllegalArgumentException("upload queue quotas must be at least 4096 bytes, got " + q);
                }
            }
        }

        long of(Kind kind) {
            return switch (kind) {
                case ACKS -> acks;
                case RESULTS -> results;
                case SAMPLES -> samples;
                case TELEMETRY -> telemetry;
            };
        }
    }

    /** Sends one message; returns false when it cannot be handed over now (not connected, window full). */
    public interface Publisher {
        boolean tryPublish(String topic, byte[] payload, Consumer<Boolean> onAck);
    }

    /**
     * Told what becomes of each message: queued (on disk), acknowledged by the broker, or dropped (counted).
     * {@code payload} is the message, or null for a dropped message whose file could not be read.
     */
    public interface Listener {
        /** A message is on disk, to be sent. */
        default void queued(Kind kind, byte[] payload) {
        }

        void acknowledged(Kind kind, byte[] payload);

        void dropped(Kind kind, byte[] payload);
    }

    private static final class Entry {
        final long seq;
        final double usefulness;
        final int bytes;
        final Path file;
        boolean inFlight;

        Entry(long seq, double usefulness, int bytes, Path file) {
            this.seq = seq;
            this.usefulness = usefulness;
            this.bytes = bytes;
            this.file = file;
        }
    }

    private static final class Lane {
        final TreeMap<Long, Entry> bySeq = new TreeMap<>();
        final TreeSet<Entry> byUsefulness = new TreeSet<>(Comparator.comparingDouble((Entry e) -> e.usefulness)
                .thenComparingLong(e -> e.seq));
        long bytes;
        long sent;
        long dropped;
    }

    private final Path dir;
    private final Quotas quotas;
    private final int maxInFlight;
    private final Map<Kind, Lane> lanes = new EnumMap<>(Kind.class);
    private final Thread sender;
    private Publisher publisher;
    private Listener listener = new Listener() {
        @Override
        public void acknowledged(Kind kind, byte[] payload) {
        }

        @Override
        public void dropped(Kind kind, byte[] payload) {
        }
    };
    private long nextSeq;
    private int inFlight;
    private volatile boolean running = true;

    /** Opens the queue in {@code dir}, taking up what an earlier run left there. */
    public UploadQueue(Path dir, Quotas quotas, int maxInFlight) {
        this.dir = dir;
        this.quotas = quotas;
        this.maxInFlight = maxInFlight;
        for (Kind k : Kind.values()) {
            lanes.put(k, new Lane());
            try {
                Files.createDirectories(laneDir(k));
                try (Stream<Path> files = Files.list(laneDir(k))) {
                    for (Path f : files.toList()) {
                        recover(k, f);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the upload queue in " + dir, e);
            }
        }
        sender = new Thread(this::send, "upload-queue-" + dir.getFileName());
        sender.setDaemon(true);
    }

    private void recover(Kind kind, Path f) throws IOException {
        String name = f.getFileName().toString();
        if (!name.endsWith(".msg")) {
            Files.deleteIfExists(f);
            return;
        }
        String[] parts = name.substring(0, name.length() - 4).split("-");
        try {
            long seq = Long.parseLong(parts[0], 16);
            double usefulness = parts.length > 1 ? Integer.parseInt(parts[1]) / 1e6 : 0;
            Entry e = new Entry(seq, usefulness, (int) Files.size(f), f);
            Lane lane = lanes.get(kind);
            lane.bySeq.put(seq, e);
            lane.byUsefulness.add(e);
            lane.bytes += e.bytes;
            nextSeq = Math.max(nextSeq, seq + 1);
        } catch (NumberFormatException e) {
            System.out.println("upload queue: ignoring " + f);
            Files.deleteIfExists(f);
        }
    }

    /** Starts sending through {@code publisher}, telling {@code listener} what happens to each message. */
    public synchronized void start(Publisher publisher, Listener listener) {
        this.publisher = publisher;
        this.listener = listener;
        sender.start();
    }

    /**
     * Queues a message; never blocks.
     *
     * @param usefulness for samples, how much the cloud would miss it (higher is kept longer); ignored otherwise
     * @return whether it was kept
     */
    public boolean offer(Kind kind, String topic, byte[] payload, double usefulness) {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        int size = 2 + t.length + payload.length;
        Lane lane = lanes.get(kind);
        double u = kind == Kind.SAMPLES ? Math.max(0, Math.min(1, usefulness)) : 0;
        List<Path> evicted = new ArrayList<>();
        Entry entry;
        synchronized (this) {
            long quota = quotas.of(kind);
            while (lane.bytes + size > quota) {
                Entry victim = victim(kind, lane);
                if (victim == null || size > quota || (kind == Kind.SAMPLES && victim.usefulness >= u)) {
                    lane.dropped++;
                    listener.dropped(kind, payload);
                    deleteAll(evicted);
                    return false;
                }
                remove(lane, victim);
                evicted.add(victim.file);
                lane.dropped++;
                listener.dropped(kind, payloadOf(victim.file));
            }
            long seq = nextSeq++;
            entry = new Entry(seq, u, size, laneDir(kind).resolve(String.format("%016x-%07d.msg", seq,
                    (int) Math.round(u * 1e6))));
            lane.bySeq.put(seq, entry);
            lane.byUsefulness.add(entry);
            lane.bytes += size;
            try {
                ByteBuffer b = ByteBuffer.allocate(size);
                b.putShort((short) t.length).put(t).put(payload);
                Files.write(entry.file, b.array());
            } catch (IOException e) {
                remove(lane, entry);
                lane.dropped++;
                listener.dropped(kind, payload);
                System.out.println("upload queue: cannot write " + entry.file + ": " + e.getMessage());
                return false;
            }
            listener.queued(kind, payload);
            notifyAll();
        }
        deleteAll(evicted);
        return true;
    }

    /** The payload of a queued message's file, or null when it cannot be read. */
    private static byte[] payloadOf(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            int topicLength = ByteBuffer.wrap(bytes).getShort() & 0xffff;
            return java.util.Arrays.copyOfRange(bytes, 2 + topicLength, bytes.length);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Entry victim(Kind kind, Lane lane) {
        Iterable<Entry> order = kind == Kind.SAMPLES ? lane.byUsefulness : lane.bySeq.values();
        for (Entry e : order) {
            if (!e.inFlight) {
                return e;
            }
        }
        return null;
    }

    private static void remove(Lane lane, Entry e) {
        lane.bySeq.remove(e.seq);
        lane.byUsefulness.remove(e);
        lane.bytes -= e.bytes;
    }

    private static void deleteAll(List<Path> files) {
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                System.out.println("upload queue: cannot delete " + f + ": " + e.getMessage());
            }
        }
    }

    private void send() {
        while (running) {
            Kind kind = null;
            Entry next = null;
            synchronized (this) {
                if (inFlight < maxInFlight) {
                    for (Kind k : Kind.values()) {
                        for (Entry e : lanes.get(k).bySeq.values()) {
                            if (!e.inFlight) {
                                kind = k;
                                next = e;
                                break;
                            }
                        }
                        if (next != null) {
                            break;
                        }
                    }
                }
                if (next == null) {
                    try {
                        wait(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
                next.inFlight = true;
                inFlight++;
            }
            if (!publish(kind, next)) {
                synchronized (this) {
                    next.inFlight = false;
                    inFlight--;
                }
                pause(20);
            }
        }
    }

    private boolean publish(Kind kind, Entry e) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(e.file);
        } catch (IOException ex) {
            System.out.println("upload queue: lost " + e.file + ": " + ex.getMessage());
            synchronized (this) {
                Lane lane = lanes.get(kind);
                remove(lane, e);
                lane.dropped++;
                listener.dropped(kind, null);
                inFlight--;
            }
            return true;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int topicLength = b.getShort() & 0xffff;
        String topic = new String(bytes, 2, topicLength, StandardCharsets.UTF_8);
        byte[] payload = new byte[bytes.length - 2 - topicLength];
        System.arraycopy(bytes, 2 + topicLength, payload, 0, payload.length);
        return publisher.tryPublish(topic, payload, ok -> acknowledged(kind, e, ok, payload));
    }

    private void acknowledged(Kind kind, Entry e, boolean ok, byte[] payload) {
        synchronized (this) {
            inFlight--;
            e.inFlight = false;
            if (ok) {
                Lane lane = lanes.get(kind);
                remove(lane, e);
                lane.sent++;
                listener.acknowledged(kind, payload);
            }
            notifyAll();
        }
        if (ok) {
            deleteAll(List.of(e.file));
        }
    }

    /** Messages waiting or in flight, all streams. */
    public synchronized int pending() {
        int n = 0;
        for (Lane lane : lanes.values()) {
            n += lane.bySeq.size();
        }
        return n;
    }

    /** Waits up to {@code timeoutMs} until every message is acknowledged. */
    public boolean drain(long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (pending() > 0 && System.currentTimeMillis() < deadline) {
            pause(20);
        }
        return pending() == 0;
    }

    /** Counters per stream. */
    public synchronized UploadQueueStats stats() {
        UploadQueueStats.Builder s = UploadQueueStats.newBuilder();
        for (Kind k : Kind.values()) {
            Lane lane = lanes.get(k);
            s.addStreams(StreamStats.newBuilder().setStream(k.name().toLowerCase(java.util.Locale.ROOT))
                    .setQueuedMessages(lane.bySeq.size()).setQueuedBytes(lane.bytes).setQuotaBytes(quotas.of(k))
                    .setSent(lane.sent).setDropped(lane.dropped));
        }
        return s.build();
    }

    /** Messages dropped from one stream so far. */
    public synchronized long dropped(Kind kind) {
        return lanes.get(kind).dropped;
    }

    private Path laneDir(Kind k) {
        return dir.resolve(k.name().toLowerCase(java.util.Locale.ROOT));
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops sending; what was not acknowledged stays on disk for the next run. */
    @Override
    public void close() {
        running = false;
        sender.interrupt();
        try {
            sender.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
