package policyzip.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Runs a fixed number of chunks on a private pool. Work is always split into the same chunks whatever the
 * thread count, and no chunk reads what another writes, so results are identical on 1 or 64 threads.
 */
final class Parallel implements AutoCloseable {
    private final ForkJoinPool pool;
    private final int threads;

    Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : new ForkJoinPool(threads, p -> {
            var t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            t.setName("policyzip-cpu-" + t.getPoolIndex());
            t.setDaemon(true);
            return t;
        }, null, false);
    }

    int threads() { return threads; }

    /** Runs body(0..chunks-1), each exactly once. */
    void forEach(int chunks, IntConsumer body) {
        if (chunks <= 0) return;
        if (pool == null || chunks == 1) {
            for (int c = 0; c < chunks; c++) body.accept(c);
            return;
        }
        pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(body)).join();
    }

    @Override public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
