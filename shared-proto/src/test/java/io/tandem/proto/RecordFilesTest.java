package io.tandem.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.proto.v1.HumanLabel;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crash cases of the record files: torn tails are cut off, corrupt records counted, unframed files set aside. */
class RecordFilesTest {

    @TempDir
    Path dir;

    private static HumanLabel label(long seq) {
        return HumanLabel.newBuilder().setSchemaVersion(Codecs.SCHEMA_VERSION).setDeviceId("cam-1").setSequence(seq)
                .setLabel(3).setAnnotator("a").setLabelledAtMs(1).build();
    }

    private static void append(Path file, long... seqs) throws Exception {
        try (FileChannel ch = RecordFiles.openForAppend(file);
             DataOutputStream out = new DataOutputStream(Channels.newOutputStream(ch))) {
            for (long s : seqs) {
                RecordFiles.append(out, Codecs.HUMAN_LABEL, label(s));
            }
        }
    }

    private static List<Long> read(Path file, List<PayloadException> rejected) {
        List<Long> seqs = new ArrayList<>();
        RecordFiles.read(file, Codecs.HUMAN_LABEL, l -> seqs.add(l.getSequence()), rejected::add);
        return seqs;
    }

    @Test
    void aTornLastRecordIsCutOffSoTheNextAppendIsReadAfterARestart() throws Exception {
        Path file = dir.resolve("labels.rec");
        append(file, 1, 2, 3, 4);
        long size = Files.size(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size - 5);
        }
        RecordFiles.Recovery r = RecordFiles.recover(file, Codecs.HUMAN_LABEL, l -> { }, e -> { });
        assertTrue(r.read().truncatedTail());
        assertTrue(r.bytesCut() > 0 && r.bytesCut() < 40, "only the torn record is cut: " + r.bytesCut());
        append(file, 5);
        List<PayloadException> rejected = new ArrayList<>();
        assertEquals(List.of(1L, 2L, 3L, 5L), read(file, rejected));
        assertEquals(List.of(), rejected);
    }

    @Test
    void aRecordFailingItsChecksumIsCountedAndSkippedAndALastOneIsATornWrite() throws Exception {
        Path file = dir.resolve("labels.rec");
        append(file, 1, 2, 3);
        byte[] bytes = Files.readAllBytes(file);
        int recordSize = (bytes.length - 6) / 3;
        bytes[6 + recordSize + 12] ^= 0x40;         // inside record 2
        Files.write(file, bytes);
        List<PayloadException> rejected = new ArrayList<>();
        assertEquals(List.of(1L, 3L), read(file, rejected));
        assertEquals(1, rejected.size());
        assertTrue(rejected.get(0).getMessage().contains("checksum"), rejected.get(0).getMessage());

        bytes[6 + recordSize + 12] ^= 0x40;
        bytes[bytes.length - 2] ^= 0x40;            // inside the last record
        Files.write(file, bytes);
        RecordFiles.Recovery r = RecordFiles.recover(file, Codecs.HUMAN_LABEL, l -> { }, e -> { });
        assertEquals(2, r.read().records());
        assertEquals(recordSize, r.bytesCut());
    }

    @Test
    void contentThatCannotBeFramedIsMovedAsideAndTheGoodRecordsKept() throws Exception {
        Path file = dir.resolve("labels.rec");
        append(file, 1, 2);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate(16).putInt(Integer.MAX_VALUE).putInt(7).putLong(9).flip());
        }
        RecordFiles.Recovery r = RecordFiles.recover(file, Codecs.HUMAN_LABEL, l -> { }, e -> { });
        assertNotNull(r.movedAside());
        assertTrue(Files.exists(r.movedAside()), "the unreadable file is kept for a person to look at");
        append(file, 3);
        assertEquals(List.of(1L, 2L, 3L), read(file, new ArrayList<>()));
    }

    @Test
    void filesWrittenBeforeChecksumsAreStillRead() throws Exception {
        Path file = dir.resolve("old.rec");
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
            for (long s = 1; s <= 2; s++) {
                byte[] b = Codecs.HUMAN_LABEL.encode(label(s));
                out.writeInt(b.length);
                out.write(b);
            }
        }
        assertEquals(List.of(1L, 2L), read(file, new ArrayList<>()));
        assertFalse(RecordFiles.recover(file, Codecs.HUMAN_LABEL, l -> { }, e -> { }).repaired());
    }
}
