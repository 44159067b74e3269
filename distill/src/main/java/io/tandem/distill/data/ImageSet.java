package io.tandem.distill.data;

import java.util.Arrays;

/**
 * Grey-scale images with optional class labels, held as raw bytes (0..255) in one row-major array.
 *
 * @param pixels {@code size * rows * cols} unsigned bytes
 * @param labels one label per image, or an empty array when the set is unlabelled
 * @param rows image height
 * @param cols image width
 */
public record ImageSet(byte[] pixels, int[] labels, int rows, int cols) {

    /** Validates the parts agree. */
    public ImageSet {
        if (rows <= 0 || cols <= 0) {
            throw new DataFormatException("image size must be positive, got " + rows + "x" + cols);
        }
        if (pixels.length % (rows * cols) != 0) {
            throw new DataFormatException(pixels.length + " pixel bytes are not a whole number of "
                    + rows + "x" + cols + " images");
        }
        int n = pixels.length / (rows * cols);
        if (labels.length != 0 && labels.length != n) {
            throw new DataFormatException(n + " images but " + labels.length + " labels");
        }
    }

    /** Number of images. */
    public int size() {
        return pixels.length / (rows * cols);
    }

    /** Pixels per image. */
    public int imageSize() {
        return rows * cols;
    }

    /** Whether every image has a label. */
    public boolean labelled() {
        return labels.length == size() && size() > 0;
    }

    /** The label of image {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    /** The first {@code n} images (all of them when {@code n} is larger). */
    public ImageSet head(int n) {
        int k = Math.min(n, size());
        return new ImageSet(Arrays.copyOf(pixels, k * imageSize()),
                labels.length == 0 ? labels : Arrays.copyOf(labels, k), rows, cols);
    }

    /** Images {@code from} (inclusive) to {@code to} (exclusive). */
    public ImageSet slice(int from, int to) {
        if (from < 0 || to > size() || from > to) {
            throw new IndexOutOfBoundsException("slice " + from + ".." + to + " of " + size());
        }
        return new ImageSet(Arrays.copyOfRange(pixels, from * imageSize(), to * imageSize()),
                labels.length == 0 ? labels : Arrays.copyOfRange(labels, from, to), rows, cols);
    }

    /** This set followed by {@code other}; both must be labelled or both unlabelled. */
    public ImageSet concat(ImageSet other) {
        if (other.rows != rows || other.cols != cols) {
            throw new DataFormatException("cannot join " + rows + "x" + cols + " images with "
                    + other.rows + "x" + other.cols);
        }
        if (other.size() == 0) {
            return this;
        }
        if (size() == 0) {
            return other;
        }
        if (labelled() != other.labelled()) {
            throw new DataFormatException("cannot join a labelled set with an unlabelled one");
        }
        byte[] p = Arrays.copyOf(pixels, pixels.length + other.pixels.length);
        System.arraycopy(other.pixels, 0, p, pixels.length, other.pixels.length);
        int[] l = Arrays.copyOf(labels, labels.length + other.labels.length);
        System.arraycopy(other.labels, 0, l, labels.length, other.labels.length);
        return new ImageSet(p, l, rows, cols);
    }
}
