package io.tandem.edge.link;

import io.tandem.proto.DurableFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Per-device sequence numbers that stay strictly increasing across restarts. Numbers are reserved on
 * disk in blocks, so a crash skips at most one block and never repeats a number.
 */
public final class SequenceCounter {

    private static final long BLOCK = 1000;

    private final Path file;
    private long next;
    private long reserved;

    /** Opens (or starts) the counter kept in {@code file}. */
    public SequenceCounter(Path file) {
        this.file = file;
        try {
            long stored = Files.exists(file) ? Long.parseLong(Files.readString(file).trim()) : 1;
            next = stored;
            reserved = stored;
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read sequence file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The next sequence number. */
    public synchronized long next() {
        if (next >= reserved) {
            reserved = next + BLOCK;
            try {
                DurableFiles.replace(file, Long.toString(reserved).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot reserve sequence numbers in " + file, e);
            }
        }
        return next++;
    }
}
