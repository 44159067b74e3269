package io.tandem.edge.feed;

import io.tandem.proto.v1.InputSpec;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A folder a camera drops PNG or JPEG files into: each new file, in name order, becomes one frame, resized
 * to the model's input size and converted to its channels (grey: luma; three channels: R, G, B planes), as
 * the manifest's input spec says. With {@code loop}, the files present are replayed endlessly instead of
 * waiting for new ones. A file that is not a readable image is skipped with a log line and counted.
 */
public final class ImageFolderSource implements FrameSource {

    private final Path folder;
    private final boolean loop;
    private final Set<Path> seen = new HashSet<>();
    private final ArrayDeque<Path> pending = new ArrayDeque<>();
    private final AtomicLong unreadable = new AtomicLong();
    private volatile int channels = 1;
    private volatile int rows = 28;
    private volatile int cols = 28;
    private long index;
    private volatile boolean closed;

    /** Watches {@code folder}, which must exist. */
    public ImageFolderSource(Path folder, boolean loop) {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("frame folder " + folder + " does not exist");
        }
        this.folder = folder;
        this.loop = loop;
    }

    @Override
    public void inputSpec(InputSpec spec) {
        if (spec.getShapeCount() != 3 || (spec.getShape(0) != 1 && spec.getShape(0) != 3)) {
            throw new IllegalArgumentException("an image folder feeds inputs of shape [1 or 3, rows, cols], the model"
                    + " wants " + spec.getShapeList());
        }
        channels = (int) spec.getShape(0);
        rows = (int) spec.getShape(1);
        cols = (int) spec.getShape(2);
    }

    /** Files that were not readable images. */
    public long unreadable() {
        return unreadable.get();
    }

    @Override
    public synchronized Frame next() {
        while (true) {
            if (closed) {
                throw new SourceClosedException(folder.toString());
            }
            if (pending.isEmpty()) {
                scan();
            }
            Path file = pending.poll();
            if (file == null) {
                sleep();
                continue;
            }
            try {
                BufferedImage image = ImageIO.read(file.toFile());
                if (image == null) {
                    throw new IOException("not a PNG or JPEG image");
                }
                return new Frame(index++, pixels(image), rows, cols, -1);
            } catch (IOException | RuntimeException e) {
                unreadable.incrementAndGet();
                System.out.println("skipping frame file " + file.getFileName() + ": " + e.getMessage() + " ("
                        + unreadable.get() + " unreadable so far)");
            }
        }
    }

    private void scan() {
        if (loop && !seen.isEmpty()) {
            seen.clear();
        }
        try (Stream<Path> files = Files.list(folder)) {
            files.filter(f -> {
                String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
            }).filter(f -> !seen.contains(f)).sorted().forEach(f -> {
                seen.add(f);
                pending.add(f);
            });
        } catch (IOException e) {
            System.out.println("cannot list " + folder + ": " + e.getMessage());
        }
    }

    /** The image as raw bytes in the model's layout: channel planes of rows x cols. */
    byte[] pixels(BufferedImage image) {
        BufferedImage scaled = new BufferedImage(cols, rows, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scaled.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, cols, rows, null);
        g.dispose();
        int plane = rows * cols;
        byte[] out = new byte[channels * plane];
        for (int y = 0; y < rows; y++) {
            for (int x = 0; x < cols; x++) {
                int rgb = scaled.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int gr = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                int i = y * cols + x;
                if (channels == 1) {
                    out[i] = (byte) Math.round(0.299 * r + 0.587 * gr + 0.114 * b);
                } else {
                    out[i] = (byte) r;
                    out[plane + i] = (byte) gr;
                    out[2 * plane + i] = (byte) b;
                }
            }
        }
        return out;
    }

    private void sleep() {
        try {
            wait(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SourceClosedException(folder.toString());
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }
}
