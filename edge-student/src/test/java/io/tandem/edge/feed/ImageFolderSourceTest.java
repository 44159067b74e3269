package io.tandem.edge.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tandem.proto.v1.InputSpec;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderSourceTest {

    @TempDir
    Path dir;

    private void write(String name, int w, int h, Color color, String format) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, w, h);
        g.dispose();
        ImageIO.write(img, format, dir.resolve(name).toFile());
    }

    @Test
    void camerasFilesBecomeFramesOfTheModelsSizeAndChannelsInNameOrder() throws Exception {
        write("0001.png", 64, 48, Color.WHITE, "png");
        write("0002.jpg", 28, 28, new Color(255, 0, 0), "jpg");
        Files.writeString(dir.resolve("0003.png"), "not an image");
        write("0004.png", 10, 10, new Color(0, 0, 255), "png");
        try (ImageFolderSource source = new ImageFolderSource(dir, false)) {
            source.inputSpec(InputSpec.newBuilder().addShape(1).addShape(28).addShape(28).build());
            Frame white = source.next();
            assertEquals(784, white.pixels().length, "resized to the model's 28x28, one channel");
            assertEquals(255, white.pixels()[400] & 0xff);
            Frame red = source.next();
            assertEquals(76, red.pixels()[400] & 0xff, 3, "grey is the luma of red");
            source.inputSpec(InputSpec.newBuilder().addShape(3).addShape(8).addShape(8).build());
            Frame blue = source.next();
            assertEquals(3 * 64, blue.pixels().length, "three planes of the new model's 8x8");
            assertEquals(0, blue.pixels()[10] & 0xff);
            assertEquals(255, blue.pixels()[128 + 10] & 0xff);
            assertEquals(1, source.unreadable(), "the file that is not an image is skipped and counted");
            assertEquals(2, blue.index(), "frames are numbered as they are delivered");
        }
        assertThrows(IllegalArgumentException.class, () -> new ImageFolderSource(dir.resolve("absent"), false));
    }
}
