package io.tandem.proto;

import com.google.protobuf.Message;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Append-only files of checksummed records: the header {@code TREC2\n}, then per record a 4-byte big-endian
 * length, a 4-byte CRC32C of the bytes, and the message as its codec encodes it. Files written before the
 * header existed (length and bytes only) are still read.
 *
 * <p>{@link #recover} prepares a file for appending after a crash: a record cut short or failing its
 * checksum at the end (a torn write) is cut off, so the next append starts on a record boundary; content
 * that cannot be framed any more is moved aside with the good records copied to a fresh file. Both are
 * reported, never silent.
 */
public final class RecordFiles {

    private static final byte[] HEADER = "TREC2\n".getBytes(StandardCharsets.US_ASCII);

    private RecordFiles() {
    }

    /**
     * What reading a file found.
     *
     * @param records records read
     * @param rejected records that failed their codec or checksum and were skipped
     * @param truncatedTail whether the file ends in a torn record
     * @param goodLength the length of the file up to the end of its last whole record
     * @param unframed whether reading stopped at content that cannot be framed (a length out of range)
     */
    public record ReadSummary(int records, int rejected, boolean truncatedTail, long goodLength, boolean unframed) {
    }

    /** What {@link #recover} did to a file. */
    public record Recovery(ReadSummary read, long bytesCut, Path movedAside) {

        /** Whether anything was cut off or moved aside. */
        public boolean repaired() {
            return bytesCut > 0 || movedAside != null;
        }
    }

    /** Opens a file for appending, writing the header first when it is new or empty; fsyncs the folder. */
    public static FileChannel openForAppend(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        if (fresh) {
            ch.write(java.nio.ByteBuffer.wrap(HEADER));
            ch.force(true);
            syncFolder(file.getParent());
        }
        return ch;
    }

    /** Fsyncs a folder, so that a file created or renamed in it survives a power loss. */
    public static void syncFolder(Path folder) {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some file systems cannot open a folder for fsync; the file's own fsync still applies.
        }
    }

    /** Encodes and appends one record to a stream of a file opened with {@link #openForAppend}. */
    public static <T extends Message> void append(DataOutputStream out, Codec<T> codec, T message) throws IOException {
        byte[] bytes = codec.encode(message);
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        out.writeInt(bytes.length);
        out.writeInt((int) crc.getValue());
        out.write(bytes);
    }

    /**
     * Makes a file safe to append to: cuts off a torn last record, or, when content cannot be framed, moves
     * the file aside and writes its good records to a fresh one. Records are passed to {@code onRecord} as
     * they are read.
     */
    public static <T extends Message> Recovery recover(Path file, Codec<T> codec, Consumer<T> onRecord,
            Consumer<PayloadException> onRejected) {
        if (!Files.exists(file)) {
            return new Recovery(new ReadSummary(0, 0, false, 0, false), 0, null);
        }
        java.util.List<T> kept = new java.util.ArrayList<>();
        ReadSummary s = read(file, codec, m -> {
            kept.add(m);
            onRecord.accept(m);
        }, onRejected);
        try {
            long size = Files.size(file);
            if (s.unframed()) {
                Path aside = file.resolveSibling(file.getFileName() + ".unframed-" + System.currentTimeMillis());
                Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
                try (FileChannel ch = openForAppend(file);
                     DataOutputStream out = new DataOutputStream(java.nio.channels.Channels.newOutputStream(ch))) {
                    for (T m : kept) {
                        append(out, codec, m);
                    }
                    out.flush();
                    ch.force(true);
                }
                syncFolder(file.getParent());
                return new Recovery(s, size - s.goodLength(), aside);
            }
            if (s.goodLength() >= 0 && s.goodLength() < size) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.truncate(s.goodLength());
                    ch.force(true);
                }
                return new Recovery(s, size - s.goodLength(), null);
            }
            return new Recovery(s, 0, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot repair " + file, e);
        }
    }

    /**
     * Reads every record of a file in order. A record that fails its checksum or codec is passed to
     * {@code onRejected} and skipped; reading goes on with the next one. A torn last record ends the read.
     */
    public static <T extends Message> ReadSummary read(Path file, Codec<T> codec, Consumer<T> onRecord,
            Consumer<PayloadException> onRejected) {
        if (!Files.exists(file)) {
            return new ReadSummary(0, 0, false, 0, false);
        }
        int records = 0;
        int rejected = 0;
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
             DataInputStream in = new DataInputStream(raw)) {
            long size = Files.size(file);
            byte[] head = new byte[HEADER.length];
            in.mark(HEADER.length);
            int got = in.readNBytes(head, 0, head.length);
            boolean checksummed = got == HEADER.length && Arrays.equals(head, HEADER);
            long position = checksummed ? HEADER.length : 0;
            if (!checksummed) {
                in.reset();
            }
            int overhead = checksummed ? 8 : 4;
            while (true) {
                if (position == size) {
                    return new ReadSummary(records, rejected, false, position, false);
                }
                if (size - position < overhead) {
                    return new ReadSummary(records, rejected, true, position, false);
                }
                int length = in.readInt();
                int crc = checksummed ? in.readInt() : 0;
                if (length <= 0 || length > codec.maxBytes()) {
                    onRejected.accept(new PayloadException(PayloadException.Reason.OVERSIZED,
                            file + ": record " + (records + rejected) + " declares " + length + " bytes, limit "
                                    + codec.maxBytes() + "; the rest of the file cannot be framed"));
                    return new ReadSummary(records, rejected + 1, false, position, true);
                }
                if (size - position - overhead < length) {
                    return new ReadSummary(records, rejected, true, position, false);
                }
                byte[] bytes = new byte[length];
                in.readFully(bytes);
                long next = position + overhead + length;
                if (checksummed) {
                    CRC32C c = new CRC32C();
                    c.update(bytes);
                    if ((int) c.getValue() != crc) {
                        if (next == size) {
                            // The last record, written in part: a torn write, not stored data.
                            return new ReadSummary(records, rejected, true, position, false);
                        }
                        rejected++;
                        onRejected.accept(new PayloadException(PayloadException.Reason.MALFORMED, file + ": record "
                                + (records + rejected - 1) + " fails its checksum"));
                        position = next;
                        continue;
                    }
                }
                position = next;
                T message;
                try {
                    message = codec.decode(bytes);
                } catch (PayloadException e) {
                    rejected++;
                    onRejected.accept(e);
                    continue;
                }
                records++;
                onRecord.accept(message);
            }
        } catch (EOFException e) {
            throw new UncheckedIOException("cannot read " + file + ": it changed while being read", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
