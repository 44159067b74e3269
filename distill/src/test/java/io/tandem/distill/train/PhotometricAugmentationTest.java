package io.tandem.distill.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PhotometricAugmentationTest {

    private static byte[] image() {
        byte[] img = new byte[28 * 28];
        for (int i = 0; i < img.length; i++) {
            img[i] = (byte) (i % 28 < 14 ? 230 : 20);
        }
        return img;
    }

    private static double mean(byte[] img) {
        double m = 0;
        for (byte b : img) {
            m += b & 0xff;
        }
        return m / img.length;
    }

    @Test
    void dimsFlattensAndIsSeeded() {
        PhotometricAugmentation always = new PhotometricAugmentation(1, 0.3, 0.4, 0, 0);
        double darker = 0;
        for (int k = 0; k < 20; k++) {
            byte[] img = image();
            always.apply(img, 28, 28, new Random(k));
            darker += mean(img) < mean(image()) ? 1 : 0;
        }
        assertTrue(darker >= 19, "brightness factors below 1 dim the image: " + darker);
        byte[] a = image();
        byte[] b = image();
        PhotometricAugmentation.CAMERA.apply(a, 28, 28, new Random(5));
        PhotometricAugmentation.CAMERA.apply(b, 28, 28, new Random(5));
        assertArrayEquals(a, b, "same generator, same image");
        byte[] untouched = image();
        new PhotometricAugmentation(0, 0.3, 0.4, 0, 0).apply(untouched, 28, 28, new Random(1));
        assertArrayEquals(image(), untouched, "probability 0 leaves images alone");
        assertThrows(IllegalArgumentException.class, () -> new PhotometricAugmentation(1, 0, 0.4, 0, 0));
    }
}
