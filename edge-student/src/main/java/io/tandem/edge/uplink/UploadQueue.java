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
 * Everything a device sends, on disk until it is acknowledged: one file per message under
 * {@code <dir>/<stream>/}, so a restart resends what was not acknowledged. A stream acknowledged end to end
 * ({@link #awaitReceipts}) keeps each message after the broker's acknowledgement until the cloud's receipt names
 * it, and sends it again when no receipt comes in time; other streams are done at the broker's acknowledgement. Each stream is bounded in bytes.
 * {@link #offer} never blocks and never waits for the network: when a stream is full, telemetry drops its
 * oldest message and samples drop the least useful one (or refuse the new one if it is the least useful);
 * results and acknowledgements drop their oldest. Every drop is counted. A sender thread publishes acks,
 * then results, then samples, then telemetry, oldest first, with a bounded number in flight; a stream may
 * send what has queued up as one message ({@link #packInto}).
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

    /** One MQTT message: its topic and payload. */
    public record Message(String topic, byte[] payload) {

        /**
         * A queued message as its file holds it: the topic's length (2 bytes), the topic, the payload.
         *
         * @throws IOException when the file cannot be read or is too short for what it says it holds
         */
        static Message read(Path file) throws IOException {
            byte[] bytes = Files.readAllBytes(file);
            int topicLength = bytes.length < 2 ? -1 : ByteBuffer.wrap(bytes).getShort() & 0xffff;
            if (topicLength < 0 || 2 + topicLength > bytes.length) {
                throw new IOException("corrupt queue file " + file.getFileName() + ": " + bytes.length
                        + " bytes, too short for its topic" + (topicLength < 0 ? "'s length" : " of " + topicLength
                        + " bytes"));
            }
            return new Message(new String(bytes, 2, topicLength, StandardCharsets.UTF_8),
                    java.util.Arrays.copyOfRange(bytes, 2 + topicLength, bytes.length));
        }
    }

    /** Makes one message of several queued ones of a stream, sent and acknowledged together. */
    public interface Packer {
        Message pack(List<Message> messages);
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
        /** The receipt key, on a stream acknowledged end to end. */
        String key;
        /** Acknowledged by the broker, waiting for the cloud's receipt, since {@link #sentAtNanos}. */
        boolean awaiting;
        long sentAtNanos;
        /** The receipt came while the message was in flight again. */
        boolean confirmed;

        /** When it was queued (or found on disk at start). */
        final long queuedAtNanos = System.nanoTime();

        Entry(long seq, double usefulness, int bytes, Path file) {
            this.seq = seq;
            this.usefulness = usefulness;
            this.bytes = bytes;
            this.file = file;
        }
    }

    private static final class Lane {
        final TreeMap<Long, Entry> bySeq = new TreeMap<>();
        /** Entries ready to be sent: not in flight, not waiting for a receipt. */
        final TreeMap<Long, Entry> toSend = new TreeMap<>();
        /** Entries waiting for a receipt, oldest first. */
        final java.util.LinkedHashMap<Long, Entry> awaiting = new java.util.LinkedHashMap<>();
        final java.util.HashMap<String, Entry> byKey = new java.util.HashMap<>();
        java.util.function.Function<byte[], String> keyOf;
        long resendAfterNanos;
        /** Packs up to packMax ready messages (packMaxBytes in all, or one larger one) into one; null = one each. */
        Packer packer;
        int packMax = 1;
        long packMaxBytes;
        /** How long the oldest ready message may wait for others to fill its batch. */
        long lingerNanos;
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
            lane.toSend.put(seq, e);
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
            lane.toSend.put(seq, entry);
            lane.byUsefulness.add(entry);
            lane.bytes += size;
            if (lane.keyOf != null) {
                entry.key = lane.keyOf.apply(payload);
                lane.byKey.put(entry.key, entry);
            }
            try {
                ByteBuffer b = ByteBuffer.allocate(size);
                b.putShort((short) t.length).put(t).put(payload);
                // Written aside and renamed: a device killed mid-write leaves a .tmp file, removed at the next start,
                // never a torn message.
                Path tmp = entry.file.resolveSibling(entry.file.getFileName() + ".tmp");
                Files.write(tmp, b.array());
                Files.move(tmp, entry.file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
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
            return Message.read(file).payload();
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
        lane.toSend.remove(e.seq);
        lane.awaiting.remove(e.seq);
        if (e.key != null) {
            lane.byKey.remove(e.key);
        }
        lane.byUsefulness.remove(e);
        lane.bytes -= e.bytes;
    }

    /**
     * Makes a stream acknowledged end to end: a message stays on disk after the broker's acknowledgement until
     * {@link #confirm} names its key ({@code keyOf} its payload), and is sent again after {@code resendAfter}
     * without one. Call before {@link #start}.
     */
    public synchronized void awaitReceipts(Kind kind, java.util.function.Function<byte[], String> keyOf,
            java.time.Duration resendAfter) {
        Lane lane = lanes.get(kind);
        lane.keyOf = keyOf;
        lane.resendAfterNanos = resendAfter.toNanos();
        for (Entry e : lane.bySeq.values()) {
            byte[] payload = payloadOf(e.file);
            if (payload != null) {
                e.key = keyOf.apply(payload);
                lane.byKey.put(e.key, e);
            }
        }
    }

    /**
     * Sends a stream's messages together: whatever is ready when the sender takes the stream's oldest message,
     * up to {@code maxMessages} and {@code maxBytes} in all (a larger single message goes alone), becomes one
     * message made by {@code packer}, acknowledged (and, end to end, receipted) per message as before. Nothing
     * waits to fill a batch: batches grow only while messages queue up faster than they leave. Call before
     * {@link #start}.
     */
    public synchronized void packInto(Kind kind, int maxMessages, long maxBytes, Packer packer) {
        packInto(kind, maxMessages, maxBytes, java.time.Duration.ZERO, packer);
    }

    /**
     * As {@link #packInto(Kind, int, long, Packer)}, but a batch that is not full waits until its oldest message
     * has waited {@code linger}, so a device producing a steady trickle sends fewer, fuller messages.
     */
    public synchronized void packInto(Kind kind, int maxMessages, long maxBytes, java.time.Duration linger,
            Packer packer) {
        if (linger.isNegative()) {
            throw new IllegalArgumentException("a batch's linger cannot be negative, got " + linger);
        }
        if (maxMessages < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("a batch holds at least one message and one byte, got " + maxMessages
                    + " messages, " + maxBytes + " bytes");
        }
        Lane lane = lanes.get(kind);
        lane.packer = packer;
        lane.packMax = maxMessages;
        lane.packMaxBytes = maxBytes;
        lane.lingerNanos = linger.toNanos();
    }

    /** The cloud's receipt for the messages with these keys: they are done. Unknown keys are ignored. */
    public void confirm(Kind kind, java.util.Collection<String> keys) {
        List<Path> done = new ArrayList<>();
        synchronized (this) {
            Lane lane = lanes.get(kind);
            for (String key : keys) {
                Entry e = lane.byKey.get(key);
                if (e == null) {
                    continue;
                }
                if (e.inFlight) {
                    e.confirmed = true;
                    continue;
                }
                finish(kind, lane, e, done);
            }
            notifyAll();
        }
        deleteAll(done);
    }

    /** A message acknowledged for good: counted, told, and its file deleted by the caller. */
    private void finish(Kind kind, Lane lane, Entry e, List<Path> done) {
        remove(lane, e);
        lane.sent++;
        listener.acknowledged(kind, payloadOf(e.file));
        done.add(e.file);
    }

    /** Moves messages whose receipt is overdue back to be sent. */
    private static void resendOverdue(Lane lane, long now) {
        var it = lane.awaiting.values().iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            if (now - e.sentAtNanos < lane.resendAfterNanos) {
                return;
            }
            it.remove();
            e.awaiting = false;
            lane.toSend.put(e.seq, e);
        }
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
            List<Entry> group = new ArrayList<>();
            synchronized (this) {
                if (inFlight < maxInFlight) {
                    long now = System.nanoTime();
                    for (Kind k : Kind.values()) {
                        Lane lane = lanes.get(k);
                        if (lane.keyOf != null) {
                            resendOverdue(lane, now);
                        }
                        if (!lane.toSend.isEmpty() && !lingering(lane, now)) {
                            kind = k;
                            takeGroup(lane, group);
                            break;
                        }
                    }
                }
                if (group.isEmpty()) {
                    try {
                        wait(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
                for (Entry e : group) {
                    e.inFlight = true;
                }
                inFlight++;
            }
            if (!publish(kind, group)) {
                synchronized (this) {
                    inFlight--;
                    Lane lane = lanes.get(kind);
                    for (Entry e : group) {
                        e.inFlight = false;
                        if (lane.bySeq.containsKey(e.seq)) {
                            lane.toSend.put(e.seq, e);
                        }
                    }
                }
                pause(20);
            }
        }
    }

    /** Whether a lane's batch is not full yet and its oldest ready message may wait longer for company. */
    private static boolean lingering(Lane lane, long now) {
        return lane.lingerNanos > 0 && lane.toSend.size() < lane.packMax
                && now - lane.toSend.firstEntry().getValue().queuedAtNanos < lane.lingerNanos;
    }

    /** Takes the lane's oldest ready message, and as many more as its packing allows. */
    private static void takeGroup(Lane lane, List<Entry> group) {
        long bytes = 0;
        while (!lane.toSend.isEmpty() && group.size() < lane.packMax) {
            Entry next = lane.toSend.firstEntry().getValue();
            if (!group.isEmpty() && bytes + next.bytes > lane.packMaxBytes) {
                break;
            }
            lane.toSend.remove(next.seq);
            group.add(next);
            bytes += next.bytes;
        }
    }

    private boolean publish(Kind kind, List<Entry> group) {
        List<Entry> sent = new ArrayList<>(group.size());
        List<Message> messages = new ArrayList<>(group.size());
        for (Entry e : group) {
            try {
                messages.add(Message.read(e.file));
                sent.add(e);
            } catch (IOException ex) {
                System.out.println("upload queue: dropped " + e.file + ": " + ex.getMessage());
                synchronized (this) {
                    Lane lane = lanes.get(kind);
                    e.inFlight = false;
                    remove(lane, e);
                    lane.dropped++;
                    listener.dropped(kind, null);
                }
                // Gone from disk too, or the next start would drop (and count) it again.
                deleteAll(List.of(e.file));
            }
        }
        if (sent.isEmpty()) {
            synchronized (this) {
                inFlight--;
                notifyAll();
            }
            return true;
        }
        Packer packer = lanes.get(kind).packer;
        Message out = packer == null ? messages.get(0) : packer.pack(messages);
        return publisher.tryPublish(out.topic(), out.payload(), ok -> acknowledged(kind, sent, ok, messages));
    }

    private void acknowledged(Kind kind, List<Entry> entries, boolean ok, List<Message> messages) {
        List<Path> done = new ArrayList<>();
        synchronized (this) {
            inFlight--;
            Lane lane = lanes.get(kind);
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                e.inFlight = false;
                if (!lane.bySeq.containsKey(e.seq)) {
                    // dropped while in flight
                } else if (!ok && !e.confirmed) {
                    lane.toSend.put(e.seq, e);
                } else if (lane.keyOf == null || e.confirmed) {
                    remove(lane, e);
                    lane.sent++;
                    listener.acknowledged(kind, messages.get(i).payload());
                    done.add(e.file);
                } else {
                    e.awaiting = true;
                    e.sentAtNanos = System.nanoTime();
                    lane.awaiting.put(e.seq, e);
                }
            }
            notifyAll();
        }
        deleteAll(done);
    }

    /** Messages waiting or in flight, all streams. */
    public synchronized int pending() {
        int n = 0;
        for (Lane lane : lanes.values()) {
            n += lane.bySeq.size();
        }
        return n;
    }

    /** What is pending, in words: messages not sent yet, in flight, and waiting for a receipt. */
    public synchronized String describePending() {
        int ready = 0;
        int awaiting = 0;
        for (Lane lane : lanes.values()) {
            ready += lane.toSend.size();
            awaiting += lane.awaiting.size();
        }
        return ready + " not sent, " + inFlight + " in flight, " + awaiting + " waiting for a receipt";
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
