package policyzip.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;
import policyzip.io.ArrayFile;

/**
 * The drawing behind {@link Plots}: small PNG plots drawn with the JDK alone (java.desktop, headless), written
 * atomically. The only class that touches AWT, and only {@link Plots} calls it, once it has found java.desktop, so a
 * runtime without that module never links this class.
 */
final class PlotPainter {
    private PlotPainter() {}

    private static final int W = 640, H = 480, L = 70, R = 110, T = 40, B = 50;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** {@link Plots#heatmap}. */
    static void heatmap(Path file, String title, double[] values, int per, float[] low, float[] high, float[] points) throws IOException {
        BufferedImage img = canvas();
        Graphics2D g = graphics(img);
        double lo = min(values), hi = max(values);
        int pw = W - L - R, ph = H - T - B;
        for (int i = 0; i < per; i++) {
            for (int j = 0; j < per; j++) {
                double v = values[i * per + j];
                g.setColor(viridis(hi > lo ? (v - lo) / (hi - lo) : 0.5));
                int x0 = L + i * pw / per, x1 = L + (i + 1) * pw / per;
                int y1 = T + ph - j * ph / per, y0 = T + ph - (j + 1) * ph / per;
                g.fillRect(x0, y0, Math.max(1, x1 - x0), Math.max(1, y1 - y0));
            }
        }
        if (points != null) {
            g.setColor(new Color(255, 255, 255, 90));
            for (int i = 0; i + 1 < points.length; i += 2) {
                int x = L + (int) ((points[i] - low[0]) / (high[0] - low[0]) * pw), y = T + ph - (int) ((points[i + 1] - low[1]) / (high[1] - low[1]) * ph);
                g.fillRect(x, y, 1, 1);
            }
        }
        axes(g, title, "z1", "z2", low[0], high[0], low[1], high[1]);
        colorbar(g, lo, hi);
        write(file, img);
    }

    /** {@link Plots#line(Path, Path, String, String, String, double[], double[][], double[][], double[][], String[], boolean)}. */
    static void line(Path file, String title, String xLabel, String yLabel, double[] x, double[][] ys, double[][] lows,
                            double[][] highs, String[] names, boolean logY) throws IOException {
        BufferedImage img = canvas();
        Graphics2D g = graphics(img);
        double x0 = min(x), x1 = max(x), y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        java.util.List<double[]> all = new java.util.ArrayList<>(java.util.Arrays.asList(ys));
        for (double[][] band : new double[][][] {lows, highs}) {
            if (band != null) for (double[] b : band) if (b != null) all.add(b);
        }
        for (double[] y : all) {
            for (double v : y) {
                if (Double.isNaN(v) || (logY && v <= 0)) continue;
                double t = logY ? Math.log10(v) : v;
                y0 = Math.min(y0, t);
                y1 = Math.max(y1, t);
            }
        }
        if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
        if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
        int pw = W - L - R, ph = H - T - B;
        Color[] colors = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40)};
        g.setStroke(new BasicStroke(1.5f));
        for (int s = 0; s < ys.length && lows != null && highs != null; s++) {
            if (lows[s] == null || highs[s] == null) continue;
            java.awt.Polygon band = new java.awt.Polygon();
            for (int i = 0; i < x.length; i++) band.addPoint(px(x[i], x0, x1, pw), py(lows[s][i], logY, y0, y1, ph));
            for (int i = x.length - 1; i >= 0; i--) band.addPoint(px(x[i], x0, x1, pw), py(highs[s][i], logY, y0, y1, ph));
            Color c = colors[s % colors.length];
            g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 50));
            g.fillPolygon(band);
        }
        for (int s = 0; s < ys.length; s++) {
            g.setColor(colors[s % colors.length]);
            int px = -1, py = -1;
            for (int i = 0; i < x.length; i++) {
                double v = ys[s][i];
                if (Double.isNaN(v) || (logY && v <= 0)) continue;
                int cx = px(x[i], x0, x1, pw), cy = py(v, logY, y0, y1, ph);
                if (px >= 0) g.drawLine(px, py, cx, cy);
                else g.fillRect(cx - 1, cy - 1, 3, 3);
                px = cx;
                py = cy;
            }
            if (names != null) {
                g.drawString(names[s], W - R + 10, T + 20 + 18 * s);
            }
        }
        g.setColor(Color.BLACK);
        axes(g, title, xLabel, logY ? "log10 " + yLabel : yLabel, x0, x1, y0, y1);
        write(file, img);
    }

    private static int px(double x, double x0, double x1, int pw) {
        return L + (int) ((x - x0) / (x1 - x0) * pw);
    }

    /** Pixel row of value v (log10 of it when logY; non-positive values then sit on the bottom edge). */
    private static int py(double v, boolean logY, double y0, double y1, int ph) {
        double t = logY ? (v > 0 ? Math.log10(v) : y0) : v;
        return T + ph - (int) ((t - y0) / (y1 - y0) * ph);
    }

    private static BufferedImage canvas() {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.dispose();
        return img;
    }

    private static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return g;
    }

    private static void axes(Graphics2D g, String title, String xl, String yl, double x0, double x1, double y0, double y1) {
        int pw = W - L - R, ph = H - T - B;
        g.setColor(Color.BLACK);
        g.drawRect(L, T, pw, ph);
        g.drawString(title, L, T - 12);
        g.drawString(xl, L + pw / 2, H - 12);
        g.drawString(yl, 8, T - 12 + ph / 2 - 10);
        for (int i = 0; i <= 4; i++) {
            double xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
            int x = L + pw * i / 4, y = T + ph - ph * i / 4;
            g.drawLine(x, T + ph, x, T + ph + 4);
            g.drawString(fmt(xv), x - 14, T + ph + 18);
            g.drawLine(L - 4, y, L, y);
            g.drawString(fmt(yv), 8, y + 4);
        }
    }

    private static void colorbar(Graphics2D g, double lo, double hi) {
        int x = W - R + 20, ph = H - T - B;
        for (int i = 0; i < ph; i++) {
            g.setColor(viridis(1.0 - (double) i / ph));
            g.drawLine(x, T + i, x + 16, T + i);
        }
        g.setColor(Color.BLACK);
        g.drawRect(x, T, 16, ph);
        g.drawString(fmt(hi), x + 20, T + 10);
        g.drawString(fmt(lo), x + 20, T + ph);
        g.drawString("return", x, T - 12);
    }

    static String fmt(double v) {
        double a = Math.abs(v);
        return a != 0 && (a >= 1e4 || a < 1e-2) ? String.format(Locale.ROOT, "%.1e", v) : String.format(Locale.ROOT, "%.3g", v);
    }

    /** The viridis colour map, piecewise linear through 6 of its stops. */
    static Color viridis(double t) {
        double[][] c = {{68, 1, 84}, {65, 68, 135}, {42, 120, 142}, {34, 168, 132}, {122, 209, 81}, {253, 231, 37}};
        t = Math.max(0, Math.min(1, Double.isNaN(t) ? 0 : t)) * (c.length - 1);
        int i = Math.min(c.length - 2, (int) t);
        double f = t - i;
        return new Color((int) (c[i][0] + f * (c[i + 1][0] - c[i][0])), (int) (c[i][1] + f * (c[i + 1][1] - c[i][1])),
                (int) (c[i][2] + f * (c[i + 1][2] - c[i][2])));
    }

    private static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : v) if (!Double.isNaN(x)) m = Math.min(m, x);
        return m;
    }

    private static double max(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double x : v) if (!Double.isNaN(x)) m = Math.max(m, x);
        return m;
    }

    private static void write(Path file, BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        ArrayFile.writeAtomically(file, out.toByteArray());
    }
}
