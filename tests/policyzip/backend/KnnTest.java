package policyzip.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import policyzip.backend.cpu.CpuBackend;

/**
 * {@link Backend#knnSquaredDistances} against the brute-force double reference {@link Ref#knn} on every test backend
 * (SIMD and scalar kernels, one and several threads), which must also agree with each other bit for bit.
 *
 * <p>Tolerance: the backend forms ‖q‖² + ‖p‖² − 2 q·p in float32. Each of the three D-term sums of fused
 * multiply-adds is within D·u of the sum of its |terms| (u = 2⁻²⁴), and the |q_c·p_c| sum to at most
 * (‖q‖² + ‖p‖²)/2, so each distance is within (2D + 4)·u·(‖q‖² + ‖p‖²) of the exact one (the 4 covers the final
 * roundings, with room). Per query we take the largest ‖p‖² of the pool, as the r-th neighbour may be any row.
 * Sorted lists equal elementwise within that tolerance is the statement "the returned values are the true k smallest,
 * except that values within the tolerance of each other (near-ties) may trade places": the r-th returned value v
 * is within tol of the true r-th w exactly when no more than r pool rows lie below v − tol and at least r + 1 at or
 * below v + tol.
 */
class KnnTest {
    private static final int[] SIZES = {1, 3, 17, 257, 1100};
    private static final int[] DIMS = {1, 5, 64, 256};
    private static final int[] KS = {1, 3, 10};

    @Test
    void matchesBruteForceAtAwkwardSizes() {
        SplittableRandom rng = new SplittableRandom(21);
        List<CpuBackend> backends = TestBackends.all();
        boolean[] covered = new boolean[KS.length * 2];
        int combo = 0;
        try {
            for (int rowsQ : SIZES) {
                for (int rowsP : SIZES) {
                    for (int dim : DIMS) {
                        int c = combo++;
                        boolean self = (c / KS.length) % 2 == 1 && rowsQ <= rowsP && rowsP > 1;
                        int k = Math.min(KS[c % KS.length], self ? rowsP - 1 : rowsP);
                        if (k == KS[c % KS.length]) covered[(c % KS.length) * 2 + (self ? 1 : 0)] = true;
                        // Every other case sits far from the origin: ‖q‖² ≫ ‖q − p‖², the expanded form's hard case.
                        double centre = c % 2 == 0 ? 0 : 2;
                        float[] pool = random(rng, rowsP * dim, centre);
                        int selfOffset = self ? rng.nextInt(rowsP - rowsQ + 1) : -1;
                        float[] queries = self ? slice(pool, selfOffset * dim, rowsQ * dim) : random(rng, rowsQ * dim, centre);
                        check(backends, queries, rowsQ, pool, rowsP, dim, k, selfOffset);
                    }
                }
            }
        } finally {
            backends.forEach(CpuBackend::close);
        }
        for (int i = 0; i < covered.length; i++) {
            assertTrue(covered[i], "k = " + KS[i / 2] + (i % 2 == 1 ? " with" : " without") + " self was never tested unclamped");
        }
    }

    @Test
    void spansPoolBlocksQueryChunksAndTheVectorWidth() {
        SplittableRandom rng = new SplittableRandom(22);
        List<CpuBackend> backends = TestBackends.all();
        try {
            // 2500 pool rows: two full blocks of 1024 and a partial one; 300 queries: four chunks of 64 and a partial.
            float[] pool = random(rng, 2500 * 37, 0.5);
            for (int k : new int[] {10, 15, 16, 17, 40}) {
                check(backends, slice(pool, 1000 * 37, 300 * 37), 300, pool, 2500, 37, k, 1000);
                check(backends, random(rng, 130 * 37, 0.5), 130, pool, 2500, 37, k, -1);
            }
            // Queries that end the pool: self in the last, partial block.
            check(backends, slice(pool, 2400 * 37, 100 * 37), 100, pool, 2500, 37, 10, 2400);
        } finally {
            backends.forEach(CpuBackend::close);
        }
    }

    @Test
    void keepsEveryValueWhenKIsThePoolSize() {
        SplittableRandom rng = new SplittableRandom(23);
        List<CpuBackend> backends = TestBackends.all();
        try {
            for (int rowsP : new int[] {1, 2, 33, 1030}) {
                float[] pool = random(rng, rowsP * 7, 0);
                check(backends, random(rng, 5 * 7, 0), 5, pool, rowsP, 7, rowsP, -1);
                if (rowsP > 1) check(backends, slice(pool, 0, Math.min(rowsP, 5) * 7), Math.min(rowsP, 5), pool, rowsP, 7, rowsP - 1, 0);
            }
        } finally {
            backends.forEach(CpuBackend::close);
        }
    }

    @Test
    void exactTiesKeepTheirMultiplicity() {
        // Small integers: every distance is exact in float32, and many are equal.
        SplittableRandom rng = new SplittableRandom(24);
        int rowsP = 1500, dim = 3, rowsQ = 70;
        float[] pool = new float[rowsP * dim];
        for (int i = 0; i < pool.length; i++) pool[i] = rng.nextInt(4);
        float[] queries = new float[rowsQ * dim];
        for (int i = 0; i < queries.length; i++) queries[i] = rng.nextInt(4);
        for (CpuBackend be : TestBackends.all()) {
            for (int k : new int[] {1, 10, 100}) {
                for (int selfOffset : new int[] {-1, 700}) {
                    float[] q = selfOffset < 0 ? queries : slice(pool, selfOffset * dim, rowsQ * dim);
                    float[] got = run(be, q, rowsQ, pool, rowsP, dim, k, selfOffset);
                    double[] want = Ref.knn(q, rowsQ, pool, rowsP, dim, k, selfOffset);
                    Ref.assertClose(be.name() + " integer ties k=" + k + " self " + selfOffset, want, got, 0, 0);
                }
            }
            be.close();
        }
    }

    @Test
    void aPlantedDuplicateIsAtDistanceZero() {
        SplittableRandom rng = new SplittableRandom(25);
        for (int dim : new int[] {5, 256}) {
            int rowsP = 2100, rowsQ = 90, selfOffset = 1500, planted = 40;
            float[] pool = random(rng, rowsP * dim, 1);
            // Pool row 100 (block 0) becomes a copy of pool row selfOffset + planted, that is of query `planted`.
            System.arraycopy(pool, (selfOffset + planted) * dim, pool, 100 * dim, dim);
            float[] queries = slice(pool, selfOffset * dim, rowsQ * dim);
            for (CpuBackend be : TestBackends.all()) {
                int k = 3;
                // Self excluded: only the planted copy is at 0; the norms and the dot product are the same fused sums,
                // so its distance is exactly 0, not merely small.
                float[] got = run(be, queries, rowsQ, pool, rowsP, dim, k, selfOffset);
                for (int i = 0; i < rowsQ; i++) {
                    String what = be.name() + " D=" + dim + " query " + i + " (self excluded)";
                    if (i == planted) {
                        assertEquals(0f, got[i * k], what + ": the planted copy");
                        assertTrue(got[i * k + 1] > 1e-6f, what + ": one copy only, got " + got[i * k + 1]);
                    } else {
                        assertTrue(got[i * k] > 1e-6f, what + ": its own row must be skipped, got " + got[i * k]);
                    }
                }
                // Self included: every query finds itself at 0, and the planted one its copy too.
                got = run(be, queries, rowsQ, pool, rowsP, dim, k, -1);
                for (int i = 0; i < rowsQ; i++) {
                    assertEquals(0f, got[i * k], be.name() + " D=" + dim + " query " + i + " finds itself");
                    assertEquals(i == planted, got[i * k + 1] == 0f, be.name() + " D=" + dim + " query " + i + " second neighbour " + got[i * k + 1]);
                }
                be.close();
            }
        }
    }

    @Test
    void rejectsBadArgumentsWithClearMessages() {
        try (CpuBackend be = TestBackends.all().get(0)) {
            Buffer q = be.allocate(3 * 4), p = be.allocate(5 * 4), out = be.allocate(3 * 2);
            expect("neighbours k must be >= 1, got 0", () -> be.knnSquaredDistances(q, 3, p, 5, 4, 0, -1, be.allocate(0)));
            expect("query rows Q must be >= 1, got 0", () -> be.knnSquaredDistances(be.allocate(0), 0, p, 5, 4, 2, -1, be.allocate(0)));
            expect("dimension D must be >= 1, got 0", () -> be.knnSquaredDistances(q, 3, p, 5, 0, 2, -1, out));
            expect("k = 6 neighbours need k <= P = 5; got P = 5", () -> be.knnSquaredDistances(q, 3, p, 5, 4, 6, -1, be.allocate(18)));
            expect("k = 5 neighbours need k <= P − 1 = 4 (self excluded); got P = 5",
                    () -> be.knnSquaredDistances(q, 3, p, 5, 4, 5, 0, be.allocate(15)));
            expect("selfOffset + Q must be <= P (query i is pool row selfOffset + i), got 3 + 3 > 5",
                    () -> be.knnSquaredDistances(q, 3, p, 5, 4, 2, 3, out));
            expect("selfOffset must be -1 (no self-exclusion) or >= 0, got -2", () -> be.knnSquaredDistances(q, 3, p, 5, 4, 2, -2, out));
            expect("queries has 12 floats; expected [Q=3, D=5] = 15", () -> be.knnSquaredDistances(q, 3, p, 5, 5, 2, -1, out));
            expect("pool has 20 floats; expected [P=4, D=4] = 16", () -> be.knnSquaredDistances(q, 3, p, 4, 4, 2, -1, out));
            expect("out has 6 floats; expected [Q=3, k=3] = 9", () -> be.knnSquaredDistances(q, 3, p, 5, 4, 3, -1, out));
            expect("out is null; expected [Q=3, k=2] = 6 floats", () -> be.knnSquaredDistances(q, 3, p, 5, 4, 2, -1, null));
        }
    }

    private static void expect(String message, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertEquals(message, e.getMessage());
    }

    /** Runs every backend on fresh poisoned outputs; checks each against the reference and all against the first. */
    private static void check(List<CpuBackend> backends, float[] queries, int rowsQ, float[] pool, int rowsP, int dim, int k,
                              int selfOffset) {
        String shape = "Q=" + rowsQ + " P=" + rowsP + " D=" + dim + " k=" + k + " self " + selfOffset;
        double[] want = Ref.knn(queries, rowsQ, pool, rowsP, dim, k, selfOffset);
        double[] qn = Ref.rowNorms(queries, rowsQ, dim), pn = Ref.rowNorms(pool, rowsP, dim);
        double maxP = 0;
        for (double v : pn) maxP = Math.max(maxP, v);
        float[] first = null;
        for (CpuBackend be : backends) {
            float[] got = run(be, queries, rowsQ, pool, rowsP, dim, k, selfOffset);
            for (int i = 0; i < rowsQ; i++) {
                double tol = (2.0 * dim + 4) * 0x1p-24 * (qn[i] + maxP);
                for (int r = 0; r < k; r++) {
                    int at = i * k + r;
                    String where = be.name() + " " + shape + ": query " + i + " neighbour " + r;
                    assertTrue(Math.abs(got[at] - want[at]) <= tol,
                            () -> where + ": expected " + want[at] + ", got " + got[at] + " (tolerance " + tol + ")");
                    assertTrue(got[at] >= 0 && (r == 0 || got[at - 1] <= got[at]), () -> where + ": not ascending and >= 0");
                }
            }
            if (first == null) first = got;
            else assertArrayEquals(first, got, be.name() + " " + shape + " differs from " + backends.get(0).name());
        }
    }

    private static float[] run(Backend be, float[] queries, int rowsQ, float[] pool, int rowsP, int dim, int k, int selfOffset) {
        Buffer out = be.upload(Ref.poisoned(rowsQ * k));
        be.knnSquaredDistances(be.upload(queries), rowsQ, be.upload(pool), rowsP, dim, k, selfOffset, out);
        float[] got = new float[rowsQ * k];
        be.read(out, got, 0);
        return got;
    }

    private static float[] random(SplittableRandom rng, int n, double centre) {
        float[] f = Ref.randomFloats(rng, n, 1);
        for (int i = 0; i < n; i++) f[i] += (float) centre;
        return f;
    }

    private static float[] slice(float[] a, int off, int len) {
        float[] s = new float[len];
        System.arraycopy(a, off, s, 0, len);
        return s;
    }
}
