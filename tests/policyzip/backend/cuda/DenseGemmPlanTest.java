package policyzip.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import policyzip.backend.cuda.CudaBackend.GemmPlan;

/**
 * The launch plans of cuda/dense.cu's GEMMs ({@link CudaBackend#gemmPlan}, {@link CudaBackend#splitK}), without a GPU:
 * the autoencoder's shapes get the documented tiles and splits, and every plan covers K exactly once in slices that are
 * multiples of the k step, with a bounded workspace.
 */
class DenseGemmPlanTest {
    private static final int P = 121_801;

    @Test
    void autoencoderShapes() {
        // Encoder's first layer forward (and the decoder's last dx): x [512, P] · Wᵀ, W [256, P]: 8 tiles of 128, 32 slices.
        assertEquals(new GemmPlan(128, 32, 3808), CudaBackend.gemmPlan(512, 256, P, 0));
        // The same at 64 rows: a 128 tile would be half empty, so 4 tiles of 64, 254 slices of 480.
        assertEquals(new GemmPlan(64, 254, 480), CudaBackend.gemmPlan(64, 256, P, 0));
        // Decoder's last layer forward [512, 256] · Wᵀ, W [P, 256], and dW [256, P] over 512 or 64 rows: unsplit 128 tiles.
        assertEquals(new GemmPlan(128, 1, 256), CudaBackend.gemmPlan(512, P, 256, 0));
        assertEquals(new GemmPlan(128, 1, 512), CudaBackend.gemmPlan(256, P, 512, 0));
        assertEquals(new GemmPlan(128, 1, 64), CudaBackend.gemmPlan(P, 256, 64, 0));
        // A 256 × 256 hidden layer over 512 rows: 8 tiles of 128 are too few blocks; 32 tiles of 64, unsplit (K = 256).
        assertEquals(new GemmPlan(64, 1, 256), CudaBackend.gemmPlan(512, 256, 256, 0));
        // Its dW: 16 tiles of 64, 2 slices of 256.
        assertEquals(new GemmPlan(64, 2, 256), CudaBackend.gemmPlan(256, 256, 512, 0));
        // Short K is never split; a 1-wide latent neither.
        assertEquals(new GemmPlan(64, 1, 300), CudaBackend.gemmPlan(2, 2, 300, 0));
        assertEquals(new GemmPlan(64, 1, 1), CudaBackend.gemmPlan(512, 256, 1, 0));
        // A forced tile is taken for any shape, edges included.
        assertEquals(new GemmPlan(128, 1, 300), CudaBackend.gemmPlan(2, 2, 300, 128));
        assertEquals(new GemmPlan(64, 32, 3808), CudaBackend.gemmPlan(512, 256, P, 64));
    }

    @Test
    void everyPlanCoversKOnceWithABoundedWorkspace() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            int m = 1 + rng.nextInt(rng.nextBoolean() ? 100 : 5000), n = 1 + rng.nextInt(rng.nextBoolean() ? 100 : 5000);
            int k = 1 + rng.nextInt(rng.nextBoolean() ? 2000 : 2_000_000);
            for (int forced : new int[] {0, 64, 128}) {
                GemmPlan plan = CudaBackend.gemmPlan(m, n, k, forced);
                int t = plan.tile(), s = plan.splits(), slice = plan.kSlice();
                String what = "M=" + m + " N=" + n + " K=" + k + ": " + plan;
                assertTrue(forced == 0 ? t == 64 || t == 128 : t == forced, what);
                if (s == 1) {
                    assertTrue(slice == k, what);
                    continue;
                }
                assertTrue(slice % CudaBackend.GEMM_K_STEP == 0 && slice >= CudaBackend.SPLIT_MIN_K, what);
                assertTrue((long) (s - 1) * slice < k && (long) s * slice >= k, what);
                long work = plan.tilesM(m) * plan.tilesN(n) * (t / 64) * (t / 64);   // in 64-tile blocks
                assertTrue(work < CudaBackend.SPLIT_TARGET_BLOCKS && work * s <= 2L * CudaBackend.SPLIT_TARGET_BLOCKS, what);
                assertTrue((long) s * m * n <= 2L * CudaBackend.SPLIT_TARGET_BLOCKS * 64 * 64, what);
            }
        }
    }

    @Test
    void tileSettingIsAutoSixtyFourOrOneTwentyEight() {
        assertEquals(0, CudaBackend.parseGemmTile(null));
        assertEquals(0, CudaBackend.parseGemmTile("auto"));
        assertEquals(64, CudaBackend.parseGemmTile("64"));
        assertEquals(128, CudaBackend.parseGemmTile(" 128 "));
        var e = assertThrows(IllegalArgumentException.class, () -> CudaBackend.parseGemmTile("256"));
        assertTrue(e.getMessage().contains("auto, 64 or 128"), e.getMessage());
    }
}
