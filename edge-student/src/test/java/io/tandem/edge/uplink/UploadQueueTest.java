package io.tandem.edge.uplink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.v1.StreamStats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadQueueTest {

    private static final UploadQueue.Quotas SMALL = new UploadQueue.Quotas(4096, 4096, 4096, 4096);

    @TempDir
    Path dir;

    private static byte[] payload(int size, int tag) {
        byte[] b = new byte[size];
        b[0] = (byte) tag;
        return b;
    }

    private static StreamStats stream(UploadQueue q, UploadQueue.Kind kind) {
        return q.stats().getStreams(kind.ordinal());
    }

    @Test
    void aFullSamplesStreamDropsTheLeastUsefulAndCountsEveryDrop() {
        try (UploadQueue q = new UploadQueue(dir, SMALL, 10)) {
            // 1,000-byte messages: four fit in 4,096 bytes with their topic.
            for (int i = 0; i < 4; i++) {
                assertTrue(q.offer(UploadQueue.Kind.SAMPLES, "t/s", payload(1000, i), 0.1 * (i + 1)));
            }
            assertFalse(q.offer(UploadQueue.Kind.SAMPLES, "t/s", payload(1000, 9), 0.05),
                    "a sample less useful than every queued one is refused");
            assertTrue(q.offer(UploadQueue.Kind.SAMPLES, "t/s", payload(1000, 8), 0.9), "a more useful one evicts");
            assertEquals(4, stream(q, UploadQueue.Kind.SAMPLES).getQueuedMessages());
            assertEquals(2, q.dropped(UploadQueue.Kind.SAMPLES));
            assertFalse(q.offer(UploadQueue.Kind.SAMPLES, "t/s", payload(5000, 7), 1), "larger than the stream");
            assertEquals(3, q.dropped(UploadQueue.Kind.SAMPLES));
        }
    }

    @Test
    void theListenerHearsWhichMessageWasQueuedAndWhichDropped(@TempDir Path other) {
        List<Integer> queued = new CopyOnWriteArrayList<>();
        List<Integer> dropped = new CopyOnWriteArrayList<>();
        try (UploadQueue q = new UploadQueue(other, SMALL, 10)) {
            q.start((topic, body, onAck) -> false, new UploadQueue.Listener() {
                @Override
                public void queued(UploadQueue.Kind kind, byte[] payload) {
                    queued.add((int) payload[0]);
                }

                @Override
                public void acknowledged(UploadQueue.Kind kind, byte[] payload) {
                }

                @Override
                public void dropped(UploadQueue.Kind kind, byte[] payload) {
                    dropped.add((int) payload[0]);
                }
            });
            for (int i = 0; i < 4; i++) {
                q.offer(UploadQueue.Kind.SAMPLES, "t/s", payload(1000, i), 0.1 * (i + 1));
            }
            q.offer(UploadQueue.Kind.SAMPLES, "t/s", payload(1000, 9), 0.05);
            q.offer(UploadQueue.Kind.SAMPLES, "t/s", payload(1000, 8), 0.9);
            q.offer(UploadQueue.Kind.SAMPLES, "t/s", payload(5000, 7), 1);
        }
        assertEquals(List.of(0, 1, 2, 3, 8), queued);
        assertEquals(3, dropped.size(), "the refused sample, an evicted one, the oversized one: " + dropped);
        assertEquals(9, dropped.get(0));
        assertTrue(dropped.get(1) == 0 || dropped.get(1) == 1, "the least useful sample not being sent that moment"
                + " is evicted: " + dropped);
        assertEquals(7, dropped.get(2));
    }

    @Test
    void telemetryDropsItsOldestAndNoStreamTakesAnothersSpace() {
        try (UploadQueue q = new UploadQueue(dir, SMALL, 10)) {
            for (int i = 0; i < 10; i++) {
                assertTrue(q.offer(UploadQueue.Kind.TELEMETRY, "t/t", payload(1000, i), 0));
            }
            assertEquals(6, q.dropped(UploadQueue.Kind.TELEMETRY));
            assertTrue(q.offer(UploadQueue.Kind.RESULTS, "t/r", payload(1000, 1), 0));
            assertEquals(0, q.dropped(UploadQueue.Kind.RESULTS));
        }
    }

    @Test
    void aTornOrCorruptQueueFileIsDroppedAndCountedAndTheRestIsSent(@TempDir Path other) throws Exception {
        try (UploadQueue q = new UploadQueue(other, UploadQueue.Quotas.DEFAULT, 10)) {
            q.offer(UploadQueue.Kind.SAMPLES, "t/samples", "one".getBytes(StandardCharsets.UTF_8), 0.5);
            q.offer(UploadQueue.Kind.SAMPLES, "t/samples", "two".getBytes(StandardCharsets.UTF_8), 0.5);
        }
        Path lane = other.resolve("samples");
        List<Path> files;
        try (var list = Files.list(lane)) {
            files = list.sorted().toList();
        }
        assertEquals(2, files.size(), "no .tmp file is left after a write: " + files);
        // A message file cut short (a disk that lost its tail) and a write a kill interrupted.
        Files.write(files.get(0), new byte[] {0, 40, 't'});
        Files.write(lane.resolve(files.get(1).getFileName() + ".tmp"), new byte[] {0});
        List<String> sent = new CopyOnWriteArrayList<>();
        AtomicInteger dropped = new AtomicInteger();
        try (UploadQueue q = new UploadQueue(other, UploadQueue.Quotas.DEFAULT, 10)) {
            assertEquals(2, q.pending(), "the torn write is not a message");
            q.start((topic, body, onAck) -> {
                sent.add(topic + "=" + new String(body, StandardCharsets.UTF_8));
                onAck.accept(true);
                return true;
            }, new UploadQueue.Listener() {
                @Override
                public void acknowledged(UploadQueue.Kind kind, byte[] payload) {
                }

                @Override
                public void dropped(UploadQueue.Kind kind, byte[] payload) {
                    dropped.incrementAndGet();
                }
            });
            assertTrue(q.drain(5_000));
            assertEquals(List.of("t/samples=two"), sent, "the good message still leaves");
            assertEquals(1, dropped.get());
            assertEquals(1, stream(q, UploadQueue.Kind.SAMPLES).getDropped(), "the corrupt one is counted");
        }
        try (var list = Files.list(lane)) {
            assertEquals(0, list.count(), "nothing is left behind");
        }
    }

    @Test
    void whatWasNotAcknowledgedSurvivesARestartAndIsSentInStreamOrder() throws Exception {
        try (UploadQueue q = new UploadQueue(dir, UploadQueue.Quotas.DEFAULT, 10)) {
            q.offer(UploadQueue.Kind.TELEMETRY, "t/telemetry", "tel".getBytes(StandardCharsets.UTF_8), 0);
            q.offer(UploadQueue.Kind.SAMPLES, "t/samples", "sam".getBytes(StandardCharsets.UTF_8), 0.5);
            q.offer(UploadQueue.Kind.RESULTS, "t/results", "res".getBytes(StandardCharsets.UTF_8), 0);
            q.offer(UploadQueue.Kind.ACKS, "t/acks", "ack".getBytes(StandardCharsets.UTF_8), 0);
            // Never started: the device went down before it had any network.
        }
        List<String> sent = new CopyOnWriteArrayList<>();
        AtomicBoolean connected = new AtomicBoolean(false);
        try (UploadQueue q = new UploadQueue(dir, UploadQueue.Quotas.DEFAULT, 10)) {
            assertEquals(4, q.pending());
            q.start((topic, body, onAck) -> {
                if (!connected.get()) {
                    return false;
                }
                sent.add(topic + "=" + new String(body, StandardCharsets.UTF_8));
                onAck.accept(true);
                return true;
            }, new UploadQueue.Listener() {
                @Override
                public void acknowledged(UploadQueue.Kind kind, byte[] payload) {
                }

                @Override
                public void dropped(UploadQueue.Kind kind, byte[] payload) {
                }
            });
            Thread.sleep(100);
            assertEquals(4, q.pending(), "nothing leaves while the link is down");
            connected.set(true);
            assertTrue(q.drain(5_000));
            assertEquals(List.of("t/acks=ack", "t/results=res", "t/samples=sam", "t/telemetry=tel"), sent);
            assertEquals(1, stream(q, UploadQueue.Kind.SAMPLES).getSent());
        }
        try (UploadQueue q = new UploadQueue(dir, UploadQueue.Quotas.DEFAULT, 10)) {
            assertEquals(0, q.pending(), "acknowledged messages are gone from disk");
        }
    }

    @Test
    void samplesThatQueuedUpLeaveTogetherAndAreAcknowledgedEachOnItsOwn(@TempDir Path other) throws Exception {
        List<String> packs = new CopyOnWriteArrayList<>();
        List<Integer> acknowledged = new CopyOnWriteArrayList<>();
        AtomicBoolean connected = new AtomicBoolean(false);
        AtomicBoolean refuseFirst = new AtomicBoolean(true);
        try (UploadQueue q = new UploadQueue(other, UploadQueue.Quotas.DEFAULT, 10)) {
            q.packInto(UploadQueue.Kind.SAMPLES, 4, 10_000, messages -> {
                StringBuilder tags = new StringBuilder();
                messages.forEach(m -> tags.append(m.payload()[0]).append(','));
                return new UploadQueue.Message("t/batch", tags.toString().getBytes(StandardCharsets.UTF_8));
            });
            q.start((topic, body, onAck) -> {
                if (!connected.get()) {
                    return false;
                }
                packs.add(topic + "=" + new String(body, StandardCharsets.UTF_8));
                // The broker refuses the first message: all of it must come back and go again.
                onAck.accept(!refuseFirst.getAndSet(false));
                return true;
            }, new UploadQueue.Listener() {
                @Override
                public void acknowledged(UploadQueue.Kind kind, byte[] payload) {
                    if (kind == UploadQueue.Kind.SAMPLES) {
                        acknowledged.add((int) payload[0]);
                    }
                }

                @Override
                public void dropped(UploadQueue.Kind kind, byte[] payload) {
                }
            });
            for (int i = 0; i < 10; i++) {
                q.offer(UploadQueue.Kind.SAMPLES, "t/samples", payload(3000, i), 0.5);
            }
            q.offer(UploadQueue.Kind.TELEMETRY, "t/telemetry", payload(10, 42), 0);
            connected.set(true);
            assertTrue(q.drain(5_000));
            // 3,000-byte samples: three fit in 10,000 bytes with their topics, so packs of at most 3.
            assertEquals(List.of("t/batch=0,1,2,", "t/batch=0,1,2,", "t/batch=3,4,5,", "t/batch=6,7,8,", "t/batch=9,",
                    "t/telemetry=" + new String(payload(10, 42), StandardCharsets.UTF_8)), packs);
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), acknowledged, "one acknowledgement per sample, once");
            assertEquals(10, stream(q, UploadQueue.Kind.SAMPLES).getSent());
        }
    }

    @Test
    void aBatchThatIsNotFullWaitsOutItsLingerAndAFullOneLeavesAtOnce(@TempDir Path other) throws Exception {
        List<String> packs = new CopyOnWriteArrayList<>();
        try (UploadQueue q = new UploadQueue(other, UploadQueue.Quotas.DEFAULT, 10)) {
            q.packInto(UploadQueue.Kind.SAMPLES, 4, 1 << 20, java.time.Duration.ofMillis(600), messages -> {
                StringBuilder tags = new StringBuilder();
                messages.forEach(m -> tags.append(m.payload()[0]).append(','));
                return new UploadQueue.Message("t/batch", tags.toString().getBytes(StandardCharsets.UTF_8));
            });
            q.start((topic, body, onAck) -> {
                packs.add(new String(body, StandardCharsets.UTF_8));
                onAck.accept(true);
                return true;
            }, new UploadQueue.Listener() {
                @Override
                public void acknowledged(UploadQueue.Kind kind, byte[] payload) {
                }

                @Override
                public void dropped(UploadQueue.Kind kind, byte[] payload) {
                }
            });
            q.offer(UploadQueue.Kind.SAMPLES, "t/samples", payload(100, 1), 0.5);
            q.offer(UploadQueue.Kind.SAMPLES, "t/samples", payload(100, 2), 0.5);
            Thread.sleep(200);
            assertEquals(List.of(), packs, "two of four wait for company");
            assertTrue(q.drain(5_000));
            assertEquals(List.of("1,2,"), packs, "then leave together once the oldest has waited its linger");
            long start = System.nanoTime();
            for (int i = 3; i <= 6; i++) {
                q.offer(UploadQueue.Kind.SAMPLES, "t/samples", payload(100, i), 0.5);
            }
            assertTrue(q.drain(5_000));
            assertTrue(System.nanoTime() - start < 500_000_000L, "a full batch does not linger");
            assertEquals(List.of("1,2,", "3,4,5,6,"), packs);
        }
    }
}
