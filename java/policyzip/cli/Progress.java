package policyzip.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on stderr: {@code label [#####.....] 41% 410/1000 units, 2.3e+06 steps/s, ETA 3s}.
 * On a terminal it redraws in place at most 10 times a second; elsewhere (logs, CI) it prints a line every 10 %.
 */
final class Progress implements AutoCloseable {
    private final PrintWriter err;
    private final String label, unit;
    private final long total;
    private final boolean tty = System.console() != null;
    /** Set by the first {@link #update}: a bar made before its phase starts must not count the wait in its ETA. */
    private long started = -1;
    /** The count at the first update: a resumed run's earlier work took none of this run's time. */
    private long startDone;
    private long lastDraw;
    private int lastDecile = -1;
    private String extra = "";

    Progress(PrintWriter err, String label, long total, String unit) {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
        this.unit = unit;
    }

    /** Extra text shown after the counts (a rate, a loss). */
    void extra(String s) { this.extra = s; }

    void update(long done) {
        long now = System.nanoTime();
        if (started < 0) {
            started = now;
            startDone = done;
        }
        int decile = (int) Math.min(10, done * 10 / total);
        if (tty) {
            if (now - lastDraw < 100_000_000L && done < total) return;
            lastDraw = now;
            err.print("\r" + line(done, now) + "\u001b[K");
            err.flush();
        } else if (decile != lastDecile) {
            lastDecile = decile;
            err.println(line(done, now));
        }
    }

    private String line(long done, long now) {
        double frac = Math.min(1.0, (double) done / total);
        int width = 24, filled = (int) Math.round(frac * width);
        String eta = done > startDone && done < total ? ", ETA " + seconds(eta(done, now)) : "";
        return String.format(Locale.ROOT, "%s [%s%s] %3.0f%% %d/%d %s%s%s", label, "#".repeat(filled), ".".repeat(width - filled),
                frac * 100, done, total, unit, extra.isEmpty() ? "" : ", " + extra, eta);
    }

    /** Seconds left at this run's rate: elapsed × (total − done) / (done − the count at the first update). */
    double eta(long done, long now) {
        double elapsed = (now - started) / 1e9;
        return elapsed * (total - done) / (done - startDone);
    }

    static String seconds(double s) {
        if (s < 60) return String.format(Locale.ROOT, "%.0fs", s);
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", (int) s / 60, (int) s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", (int) s / 3600, (int) s % 3600 / 60);
    }

    @Override public void close() {
        if (tty) {
            err.println();
            err.flush();
        }
    }
}
