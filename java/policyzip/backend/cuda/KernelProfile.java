package policyzip.backend.cuda;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Launch times per kernel, and the table that {@code -Dpolicyzip.cuda.profile=true} (or {@code POLICYZIP_CUDA_PROFILE=1})
 * prints to stderr when {@link CudaBackend} closes: kernel, launches, total ms, mean µs and share of the total, by
 * total time descending, then a total line. A {@link Driver} makes one with {@link Driver#startProfile()} and adds one
 * time per completed launch; how a launch is timed (CUDA events on a GPU, wall time in the emulator) is the driver's
 * only part, named by {@link #clock()} in the table's header. Not thread-safe: the backend calls its driver under its
 * own lock.
 */
final class KernelProfile {
    /** One kernel's launches and their summed time. */
    record Row(String kernel, long launches, long nanos) {
        double meanMicros() { return launches == 0 ? 0 : nanos / 1e3 / launches; }
    }

    private final String clock;
    private final Map<String, long[]> byKernel = new HashMap<>();   // kernel -> {launches, nanos}

    /** {@code clock}: what a time is, in a few words ("GPU time between CUDA events ..."), for the header. */
    KernelProfile(String clock) {
        this.clock = clock;
    }

    String clock() { return clock; }

    /** One launch of {@code kernel} that took {@code nanos} (>= 0). */
    void add(String kernel, long nanos) {
        long[] e = byKernel.computeIfAbsent(kernel, k -> new long[2]);
        e[0]++;
        e[1] += Math.max(0, nanos);
    }

    /** The kernels, by total time descending (ties by name). */
    List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        byKernel.forEach((k, e) -> rows.add(new Row(k, e[0], e[1])));
        rows.sort(Comparator.comparingLong(Row::nanos).reversed().thenComparing(Row::kernel));
        return rows;
    }

    /** All kernels together. */
    Row total() {
        long launches = 0, nanos = 0;
        for (long[] e : byKernel.values()) {
            launches += e[0];
            nanos += e[1];
        }
        return new Row("total", launches, nanos);
    }

    /** The table: a header line naming the clock, the column names, one line per kernel, the total line. */
    String table() {
        List<Row> rows = rows();
        Row total = total();
        int w = "kernel".length();
        for (Row r : rows) w = Math.max(w, r.kernel().length());
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "CUDA kernel profile (%s): %d kernels, %d launches, %.3f ms%n", clock, rows.size(),
                total.launches(), total.nanos() / 1e6));
        sb.append(String.format(Locale.ROOT, "%-" + w + "s %10s %12s %11s %7s%n", "kernel", "launches", "total ms", "mean µs", "share"));
        for (Row r : rows) line(sb, w, r, total.nanos());
        line(sb, w, total, total.nanos());
        return sb.toString();
    }

    private static void line(StringBuilder sb, int w, Row r, long totalNanos) {
        double share = totalNanos == 0 ? 0 : 100.0 * r.nanos() / totalNanos;
        sb.append(String.format(Locale.ROOT, "%-" + w + "s %10d %12.3f %11.2f %6.1f%%%n", r.kernel(), r.launches(), r.nanos() / 1e6,
                r.meanMicros(), share));
    }
}
