package io.tandem.distill.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
 *
 * <p>Images are IDX type 0x08 (unsigned byte) with three dimensions, labels type 0x08 with one.
 */
public final class IdxFiles {

    private static final int UNSIGNED_BYTE = 0x08;
    private static final int MAX_ITEMS = 10_000_000;

    private IdxFiles() {
    }

    /** Reads an images file and its labels file into one set. */
    public static ImageSet read(Path images, Path labels) {
        ImageSet unlabelled = readImages(images);
        int[] l = readLabels(labels);
        if (l.length != unlabelled.size()) {
            throw new DataFormatException(images + " holds " + unlabelled.size() + " images but "
                    + labels + " holds " + l.length + " labels");
        }
        return new ImageSet(unlabelled.pixels(), l, unlabelled.rows(), unlabelled.cols());
    }

    /** Reads an IDX3 unsigned-byte images file. */
    public static ImageSet readImages(Path file) {
        try (DataInputStream in = open(file)) {
            int[] dims = header(file, in, 3);
            long bytes = (long) dims[0] * dims[1] * dims[2];
            byte[] pixels = new byte[Math.toIntExact(bytes)];
            readFully(file, in, pixels);
            return new ImageSet(pixels, new int[0], dims[1], dims[2]);
        } catch (IOException e) {
            throw new DataFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads an IDX1 unsigned-byte labels file. */
    public static int[] readLabels(Path file) {
        try (DataInputStream in = open(file)) {
            int[] dims = header(file, in, 1);
            byte[] raw = new byte[dims[0]];
            readFully(file, in, raw);
            int[] labels = new int[raw.length];
            for (int i = 0; i < raw.length; i++) {
                labels[i] = raw[i] & 0xff;
            }
            return labels;
        } catch (IOException e) {
            throw new DataFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream raw;
        try {
            raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        } catch (NoSuchFileException e) {
            throw new DataFormatException("data file not found: " + file, e);
        }
        raw.mark(2);
        int b1 = raw.read();
        int b2 = raw.read();
        raw.reset();
        if (b1 == -1) {
            raw.close();
            throw new DataFormatException(file + " is empty");
        }
        boolean gzip = b1 == 0x1f && b2 == 0x8b;
        return new DataInputStream(gzip ? new BufferedInputStream(new GZIPInputStream(raw), 1 << 16) : raw);
    }

    private static int[] header(Path file, DataInputStream in, int expectedDims) throws IOException {
        int magic;
        try {
            magic = in.readInt();
        } catch (EOFException e) {
            throw new DataFormatException(file + " is too short to hold an IDX header");
        }
        int zero = magic >>> 16;
        int type = (magic >>> 8) & 0xff;
        int dims = magic & 0xff;
        if (zero != 0 || type != UNSIGNED_BYTE || dims != expectedDims) {
            throw new DataFormatException(String.format(
                    "%s is not an IDX unsigned-byte file with %d dimension(s): magic 0x%08x", file, expectedDims, magic));
        }
        int[] sizes = new int[dims];
        long total = 1;
        for (int i = 0; i < dims; i++) {
            sizes[i] = in.readInt();
            if (sizes[i] <= 0) {
                throw new DataFormatException(file + " declares dimension " + i + " as " + sizes[i]);
            }
            total *= sizes[i];
        }
        if (sizes[0] > MAX_ITEMS || total > Integer.MAX_VALUE - 8) {
            throw new DataFormatException(file + " declares " + total + " bytes, more than this reader accepts");
        }
        return sizes;
    }

    private static void readFully(Path file, DataInputStream in, byte[] into) throws IOException {
        try {
            in.readFully(into);
        } catch (EOFException e) {
            throw new DataFormatException(file + " is truncated: expected " + into.length + " bytes of data");
        }
    }
}
