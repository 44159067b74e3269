package io.tandem.distill.eval;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Draws a confusion matrix as a PNG heat map with counts, rows true classes, columns predictions. */
public final class ConfusionMatrixChart {

    private ConfusionMatrixChart() {
    }

    /** Writes the chart. */
    public static void write(int[][] confusion, List<String> names, String title, Path file) {
        System.setProperty("java.awt.headless", "true");
        int n = confusion.length;
        int cell = 44;
        int left = 120;
        int top = 60;
        int width = left + n * cell + 20;
        int height = top + n * cell + 110;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, 10, 24);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            FontMetrics fm = g.getFontMetrics();
            for (int r = 0; r < n; r++) {
                int rowTotal = 0;
                for (int c = 0; c < n; c++) {
                    rowTotal += confusion[r][c];
                }
                String label = r < names.size() ? names.get(r) : Integer.toString(r);
                g.setColor(Color.BLACK);
                g.drawString(label, left - 8 - fm.stringWidth(label), top + r * cell + cell / 2 + 4);
                for (int c = 0; c < n; c++) {
                    double share = rowTotal == 0 ? 0 : confusion[r][c] / (double) rowTotal;
                    int shade = (int) Math.round(255 * (1 - share));
                    g.setColor(r == c ? new Color(shade, 255 - (255 - shade) / 3, shade)
                            : new Color(255, shade, shade));
                    g.fillRect(left + c * cell, top + r * cell, cell - 1, cell - 1);
                    g.setColor(share > 0.6 ? Color.WHITE : Color.BLACK);
                    String count = Integer.toString(confusion[r][c]);
                    g.drawString(count, left + c * cell + (cell - fm.stringWidth(count)) / 2, top + r * cell + cell / 2 + 4);
                }
            }
            g.setColor(Color.BLACK);
            for (int c = 0; c < n; c++) {
                String label = c < names.size() ? names.get(c) : Integer.toString(c);
                Graphics2D rotated = (Graphics2D) g.create();
                rotated.translate(left + c * cell + cell / 2 + 4, top + n * cell + 8);
                rotated.rotate(Math.PI / 3);
                rotated.drawString(label, 0, 0);
                rotated.dispose();
            }
            g.drawString("rows: true class, columns: predicted", left, height - 10);
        } finally {
            g.dispose();
        }
        try {
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
