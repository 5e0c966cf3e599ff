package policyzip.eval;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Small PNG plots, drawn with the JDK alone (java.desktop, headless) by {@link PlotPainter}: a latent map coloured by
 * return (K = 2), return against the latent coordinate (K = 1), and loss curves. Written atomically.
 *
 * <p>A figure is optional output: its numbers are always in a data file written before it (named by the caller as
 * {@code data}). Where this Java runtime cannot draw (the jlink'd runtime of the GPU machines, bench/gpu/make-jre.sh,
 * has no java.desktop module), each method draws nothing and returns the one line to show instead: "figure F skipped:
 * this Java runtime has no java.desktop module (AWT); the data is in D". Whether AWT is there is decided once, here: the
 * module in the boot layer, and, should AWT still fail to link or refuse to run headless when first used, that failure,
 * remembered for later figures. This class itself never touches AWT, so it loads on any runtime.
 */
public final class Plots {
    private Plots() {}

    /** Why figures cannot be drawn in this runtime, or null when they can; replaced only by tests and by a failed first use. */
    static volatile String unavailable = reason(ModuleLayer.boot().findModule("java.desktop").isPresent());

    /** The reason figures cannot be drawn when java.desktop is {@code present} or not; null when they can. */
    static String reason(boolean desktopPresent) {
        return desktopPresent ? null : "this Java runtime has no java.desktop module (AWT)";
    }

    /** The line that replaces figure {@code file}: it was skipped, {@code why}, and its numbers are in {@code data}. */
    static String skipped(Path file, Path data, String why) {
        return "figure " + file + " skipped: " + why + "; the data is in " + data;
    }

    /**
     * K = 2: a grid of per × per values (row-major, first coordinate slow) as a heat map over [low, high]. Empty when
     * written; else the line saying it was skipped and that the numbers are in {@code data}.
     */
    public static Optional<String> heatmap(Path file, Path data, String title, double[] values, int per, float[] low, float[] high,
                                           float[] points) throws IOException {
        return draw(file, data, () -> PlotPainter.heatmap(file, title, values, per, low, high, points));
    }

    /** K = 1 (or any x–y series): y against x as a line; returns as {@link #heatmap}. */
    public static Optional<String> line(Path file, Path data, String title, String xLabel, String yLabel, double[] x, double[][] ys,
                                        String[] names, boolean logY) throws IOException {
        return line(file, data, title, xLabel, yLabel, x, ys, null, null, names, logY);
    }

    /**
     * Series y against x as lines, each with an optional shaded band from {@code lows[s]} to {@code highs[s]} (a spread
     * over seeds, for example); {@code lows}/{@code highs} may be null, or hold null for a series without a band. Returns
     * as {@link #heatmap}.
     */
    public static Optional<String> line(Path file, Path data, String title, String xLabel, String yLabel, double[] x, double[][] ys,
                                        double[][] lows, double[][] highs, String[] names, boolean logY) throws IOException {
        return draw(file, data, () -> PlotPainter.line(file, title, xLabel, yLabel, x, ys, lows, highs, names, logY));
    }

    private interface Drawing {
        void draw() throws IOException;
    }

    /** Draws, unless AWT is known to be missing or turns out to be; then the skip line, and AWT is not tried again. */
    private static Optional<String> draw(Path file, Path data, Drawing drawing) throws IOException {
        String why = unavailable;
        if (why == null) {
            try {
                drawing.draw();
                return Optional.empty();
            } catch (LinkageError e) {   // AWT's classes or natives missing: NoClassDefFoundError, UnsatisfiedLinkError
                why = "AWT could not be loaded (" + oneLine(e) + ")";
                unavailable = why;
            } catch (UnsupportedOperationException e) {
                if (!e.getClass().getName().equals("java.awt.HeadlessException")) throw e;
                why = "AWT does not run here (" + oneLine(e) + ")";
                unavailable = why;
            }
        }
        return Optional.of(skipped(file, data, why));
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.strip().lines().findFirst().orElse(""));
    }
}
