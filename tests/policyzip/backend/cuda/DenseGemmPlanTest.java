package policyzip.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The split-K plan of cuda/dense.cu's GEMMs ({@link CudaBackend#splitK}), without a GPU: the autoencoder's shapes get the
 * documented plans, and every plan covers K exactly once in slices that are multiples of the k step, with a bounded
 * workspace.
 */
class DenseGemmPlanTest {
    @Test
    void autoencoderShapes() {
        int p = 121_801;
        // Encoder's first layer forward (and the decoder's last dx): x [512, P] · Wᵀ, W [256, P]: 32 tiles, 32 slices.
        assertArrayEquals(new int[] {32, 3808}, CudaBackend.splitK(512, 256, p));
        // The same at 64 rows: 4 tiles, 254 slices of 480.
        assertArrayEquals(new int[] {254, 480}, CudaBackend.splitK(64, 256, p));
        // Decoder's last layer forward [512, 256] · Wᵀ, W [P, 256], and dW [256, P] over 512 rows: thousands of tiles.
        assertArrayEquals(new int[] {1, 256}, CudaBackend.splitK(512, p, 256));
        assertArrayEquals(new int[] {1, 512}, CudaBackend.splitK(256, p, 512));
        // A 256 × 256 hidden layer's dW over 512 rows: 16 tiles, 2 slices of 256.
        assertArrayEquals(new int[] {2, 256}, CudaBackend.splitK(256, 256, 512));
        // Short K is never split; a 1-wide latent neither.
        assertArrayEquals(new int[] {1, 300}, CudaBackend.splitK(2, 2, 300));
        assertArrayEquals(new int[] {1, 1}, CudaBackend.splitK(512, 256, 1));
    }

    @Test
    void everyPlanCoversKOnceWithABoundedWorkspace() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            int m = 1 + rng.nextInt(rng.nextBoolean() ? 100 : 5000), n = 1 + rng.nextInt(rng.nextBoolean() ? 100 : 5000);
            int k = 1 + rng.nextInt(rng.nextBoolean() ? 2000 : 2_000_000);
            int[] plan = CudaBackend.splitK(m, n, k);
            int s = plan[0], slice = plan[1];
            String what = "M=" + m + " N=" + n + " K=" + k + ": S=" + s + " slice=" + slice;
            if (s == 1) {
                assertTrue(slice == k, what);
                continue;
            }
            assertTrue(slice % CudaBackend.GEMM_K_STEP == 0 && slice >= CudaBackend.SPLIT_MIN_K, what);
            assertTrue((long) (s - 1) * slice < k && (long) s * slice >= k, what);
            long tiles = ((m + 63L) / 64) * ((n + 63L) / 64);
            assertTrue(tiles < CudaBackend.SPLIT_TARGET_BLOCKS && tiles * s <= 2L * CudaBackend.SPLIT_TARGET_BLOCKS, what);
            assertTrue((long) s * m * n <= 2L * CudaBackend.SPLIT_TARGET_BLOCKS * 64 * 64, what);
        }
    }
}
