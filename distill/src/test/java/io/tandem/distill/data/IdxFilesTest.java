package io.tandem.distill.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFilesTest {

    @TempDir
    Path dir;

    static byte[] idx(int dims, int[] sizes, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x0800 | dims);
        for (int s : sizes) {
            out.writeInt(s);
        }
        out.write(data);
        return bytes.toByteArray();
    }

    @Test
    void readsPlainAndGzipFiles() throws IOException {
        byte[] pixels = new byte[2 * 3 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 10);
        }
        Files.write(dir.resolve("img"), idx(3, new int[] {2, 3, 4}, pixels));
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("lbl.gz")))) {
            out.write(idx(1, new int[] {2}, new byte[] {7, (byte) 200}));
        }
        ImageSet set = IdxFiles.read(dir.resolve("img"), dir.resolve("lbl.gz"));
        assertEquals(2, set.size());
        assertEquals(3, set.rows());
        assertEquals(4, set.cols());
        assertArrayEquals(pixels, set.pixels());
        assertArrayEquals(new int[] {7, 200}, set.labels());
    }

    @Test
    void namesTheProblemWithBadFiles() throws IOException {
        Files.write(dir.resolve("empty"), new byte[0]);
        assertTrue(assertThrows(DataFormatException.class, () -> IdxFiles.readImages(dir.resolve("empty")))
                .getMessage().contains("is empty"));

        Files.write(dir.resolve("labels-as-images"), idx(1, new int[] {2}, new byte[2]));
        assertTrue(assertThrows(DataFormatException.class,
                () -> IdxFiles.readImages(dir.resolve("labels-as-images"))).getMessage().contains("3 dimension"));

        Files.write(dir.resolve("truncated"), idx(3, new int[] {5, 28, 28}, new byte[100]));
        assertTrue(assertThrows(DataFormatException.class, () -> IdxFiles.readImages(dir.resolve("truncated")))
                .getMessage().contains("truncated"));

        Files.writeString(dir.resolve("text"), "hello, this is not IDX");
        assertTrue(assertThrows(DataFormatException.class, () -> IdxFiles.readLabels(dir.resolve("text")))
                .getMessage().contains("not an IDX"));

        assertTrue(assertThrows(DataFormatException.class, () -> IdxFiles.readLabels(dir.resolve("missing")))
                .getMessage().contains("not found"));

        Files.write(dir.resolve("img"), idx(3, new int[] {2, 1, 1}, new byte[2]));
        Files.write(dir.resolve("lbl"), idx(1, new int[] {3}, new byte[3]));
        assertTrue(assertThrows(DataFormatException.class, () -> IdxFiles.read(dir.resolve("img"), dir.resolve("lbl")))
                .getMessage().contains("3 labels"));
    }
}
