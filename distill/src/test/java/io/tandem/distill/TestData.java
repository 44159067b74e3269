package io.tandem.distill;

import io.tandem.distill.data.FashionMnist;
import io.tandem.distill.data.ImageSet;

/** Small slices of the real Fashion-MNIST, loaded once per test JVM. */
public final class TestData {

    private static ImageSet train;
    private static ImageSet test;

    private TestData() {
    }

    /** The first {@code n} training images. */
    public static synchronized ImageSet train(int n) {
        if (train == null) {
            train = FashionMnist.train(FashionMnist.DEBIAN_DIR);
        }
        return train.head(n);
    }

    /** The first {@code n} test images. */
    public static synchronized ImageSet test(int n) {
        if (test == null) {
            test = FashionMnist.test(FashionMnist.DEBIAN_DIR);
        }
        return test.head(n);
    }
}
