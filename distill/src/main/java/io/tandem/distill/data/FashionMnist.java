package io.tandem.distill.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Locates Fashion-MNIST as Debian's {@code dataset-fashion-mnist} package installs it. */
public final class FashionMnist {

    /**
     * Where Debian's {@code dataset-fashion-mnist} installs the data set: the one definition every module and
     * configuration default refers to.
     */
    public static final String DEBIAN_FOLDER = "/usr/share/datasets/fashion-mnist";

    /** {@link #DEBIAN_FOLDER} as a path. */
    public static final Path DEBIAN_DIR = Path.of(DEBIAN_FOLDER);

    /** The ten class names, in label order. */
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Mean of the training pixels scaled to [0, 1]. */
    public static final float MEAN = 0.2860f;
    /** Standard deviation of the training pixels scaled to [0, 1]. */
    public static final float STD = 0.3530f;

    /** Training images kept out of every training run, for fitting temperatures and calibrations. */
    public static final int HELD_OUT = 2000;

    private FashionMnist() {
    }

    /** The first {@code limit} images of a training set, never reaching into its held-out tail. */
    public static ImageSet trainingPart(ImageSet train, int limit) {
        if (train.size() <= HELD_OUT) {
            throw new DataFormatException("a training set of " + train.size() + " images leaves nothing beside the "
                    + HELD_OUT + " held out");
        }
        return train.head(Math.min(limit, train.size() - HELD_OUT));
    }

    /** The last {@link #HELD_OUT} images of a training set, which {@link #trainingPart} never returns. */
    public static ImageSet heldOutPart(ImageSet train) {
        return train.slice(Math.max(0, train.size() - HELD_OUT), train.size());
    }

    /** The 60,000 training images. */
    public static ImageSet train(Path dir) {
        return IdxFiles.read(find(dir, "train-images-idx3-ubyte"), find(dir, "train-labels-idx1-ubyte"));
    }

    /** The 10,000 test images. */
    public static ImageSet test(Path dir) {
        return IdxFiles.read(find(dir, "t10k-images-idx3-ubyte"), find(dir, "t10k-labels-idx1-ubyte"));
    }

    private static Path find(Path dir, String stem) {
        for (String name : new String[] {stem, stem + ".gz"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new DataFormatException("no " + stem + "[.gz] in " + dir
                + " (install Debian's dataset-fashion-mnist or pass --data)");
    }
}
