package policyzip.cli;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import policyzip.io.ArrayFile;

/** Result files and number formatting for the commands. */
final class Output {
    private Output() {}

    /** Writes {@code value} as pretty JSON to {@code file} atomically (temporary file, then rename). */
    static void writeJson(Path file, Object value) {
        String json = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(value) + "\n";
        try {
            ArrayFile.writeAtomically(file, json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A figure from {@link policyzip.eval.Plots}: whether it was drawn; if it was skipped (no AWT in this runtime), its one
     * line on {@code err}.
     */
    static boolean figure(PrintWriter err, Optional<String> skipped) {
        skipped.ifPresent(line -> err.println("policyzip: " + line));
        return skipped.isEmpty();
    }

    /** 3 significant digits in engineering-friendly form: 1.23e+08, 45.6, -0.123. */
    static String num(double v) {
        if (Double.isNaN(v)) return "nan";
        double a = Math.abs(v);
        if (a != 0 && (a >= 1e5 || a < 1e-3)) return String.format(Locale.ROOT, "%.3g", v);
        return String.format(Locale.ROOT, a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : "%.3f", v);
    }
}
