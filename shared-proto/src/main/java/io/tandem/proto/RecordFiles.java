package io.tandem.proto;

import com.google.protobuf.Message;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Append-only files of length-prefixed messages: a 4-byte big-endian length, then the message as its
 * codec encodes it. A record cut short by a crash at the end of a file is reported, not fatal.
 */
public final class RecordFiles {

    private RecordFiles() {
    }

    /** What reading a file found. */
    public record ReadSummary(int records, int rejected, boolean truncatedTail) {
    }

    /** Encodes and appends one record to a stream. */
    public static <T extends Message> void append(DataOutputStream out, Codec<T> codec, T message) throws IOException {
        byte[] bytes = codec.encode(message);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    /**
     * Reads every record of a file in order. A record that fails its codec is passed to
     * {@code onRejected} and skipped; reading goes on with the next one.
     */
    public static <T extends Message> ReadSummary read(Path file, Codec<T> codec, Consumer<T> onRecord,
            Consumer<PayloadException> onRejected) {
        if (!Files.exists(file)) {
            return new ReadSummary(0, 0, false);
        }
        int records = 0;
        int rejected = 0;
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
             DataInputStream in = new DataInputStream(raw)) {
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException e) {
                    return new ReadSummary(records, rejected, false);
                }
                if (length <= 0 || length > codec.maxBytes()) {
                    onRejected.accept(new PayloadException(PayloadException.Reason.OVERSIZED,
                            file + ": record " + (records + rejected) + " declares " + length + " bytes, limit "
                                    + codec.maxBytes() + "; the rest of the file cannot be framed"));
                    return new ReadSummary(records, rejected + 1, false);
                }
                byte[] bytes = new byte[length];
                try {
                    in.readFully(bytes);
                } catch (EOFException e) {
                    return new ReadSummary(records, rejected, true);
                }
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
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
