package io.tandem.edge.feed;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * A camera stand-in that streams grey frames one at a time from an IDX images file (plain or gzip) and,
 * when given, the matching labels file, starting at a frame offset. Nothing is held in memory beyond the
 * current frame, as on a device.
 */
public final class IdxFrameFeed implements AutoCloseable {

    private final DataInputStream images;
    private final DataInputStream labels;
    private final int rows;
    private final int cols;
    private final long count;
    private long next;

    /** Opens a feed positioned at frame {@code offset}. */
    public IdxFrameFeed(Path imagesFile, Path labelsFile, long offset) {
        try {
            images = open(imagesFile);
            int[] dims = header(imagesFile, images, 3);
            count = dims[0];
            rows = dims[1];
            cols = dims[2];
            if (labelsFile != null) {
                labels = open(labelsFile);
                int[] l = header(labelsFile, labels, 1);
                if (l[0] != count) {
                    throw new IllegalArgumentException(imagesFile + " has " + count + " frames but " + labelsFile
                            + " has " + l[0] + " labels");
                }
            } else {
                labels = null;
            }
            if (offset < 0 || offset >= count) {
                throw new IllegalArgumentException("feed offset " + offset + " is outside 0.." + (count - 1));
            }
            images.skipNBytes(offset * rows * cols);
            if (labels != null) {
                labels.skipNBytes(offset);
            }
            next = offset;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open feed " + imagesFile, e);
        }
    }

    /** Frames left in the file. */
    public long remaining() {
        return count - next;
    }

    /** The next frame. */
    public Frame next() {
        if (next >= count) {
            throw new IllegalStateException("feed exhausted after " + count + " frames");
        }
        try {
            byte[] pixels = new byte[rows * cols];
            images.readFully(pixels);
            int label = labels == null ? -1 : labels.readUnsignedByte();
            return new Frame(next++, pixels, rows, cols, label);
        } catch (EOFException e) {
            throw new IllegalStateException("feed file is truncated at frame " + next, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read frame " + next, e);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("feed file not found: " + file);
        }
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
        in.reset();
        return new DataInputStream(gzip ? new BufferedInputStream(new GZIPInputStream(in), 1 << 16) : in);
    }

    private static int[] header(Path file, DataInputStream in, int dims) throws IOException {
        int magic = in.readInt();
        if (magic != (0x0800 | dims)) {
            throw new IllegalArgumentException(String.format("%s is not an IDX unsigned-byte file with %d dimension(s): "
                    + "magic 0x%08x", file, dims, magic));
        }
        int[] sizes = new int[dims];
        for (int i = 0; i < dims; i++) {
            sizes[i] = in.readInt();
            if (sizes[i] <= 0) {
                throw new IllegalArgumentException(file + " declares dimension " + i + " as " + sizes[i]);
            }
        }
        return sizes;
    }

    @Override
    public void close() {
        try {
            images.close();
            if (labels != null) {
                labels.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
