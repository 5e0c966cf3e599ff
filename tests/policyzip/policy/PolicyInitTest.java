package policyzip.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PolicyInitTest {
    private final MlpSpec medium = MlpSpec.of("medium", 2, 1, Activation.RELU, 1f);

    @Test
    void sameSeedSameBitsDifferentSeedDifferent() {
        assertArrayEquals(PolicyInit.initialize(medium, 42), PolicyInit.initialize(medium, 42));
        assertNotEquals(PolicyInit.initialize(medium, 42)[0], PolicyInit.initialize(medium, 43)[0]);
    }

    @Test
    void frozenValues() {
        // The prior is part of the dataset format (policies are stored as seeds): these bits must never change.
        float[] t = PolicyInit.initialize(medium, 42);
        float[] first = {t[0], t[1], t[63], t[64], t[1184]};
        float[] expected = {FROZEN_0, FROZEN_1, FROZEN_63, FROZEN_64, FROZEN_1184};
        assertArrayEquals(expected, first);
    }

    // Bits of θ[0], θ[1], θ[63], θ[64], θ[1184] for medium seed 42, recorded when the prior was defined.
    static final float FROZEN_0 = Float.intBitsToFloat(1051650402), FROZEN_1 = Float.intBitsToFloat(-1091157938),
            FROZEN_63 = Float.intBitsToFloat(-1088109408), FROZEN_64 = Float.intBitsToFloat(-1099072109),
            FROZEN_1184 = Float.intBitsToFloat(-1117340172);

    @Test
    void everyLayerUniformWithinItsFanInBound() {
        MlpSpec mlp = MlpSpec.of("large", 2, 1, Activation.RELU, 1f);
        float[] t = PolicyInit.initialize(mlp, 7);
        for (int l = 0; l < mlp.layers(); l++) {
            double bound = 1 / Math.sqrt(mlp.in(l));
            int start = mlp.weightOffset(l), end = mlp.biasOffset(l) + mlp.out(l);
            double sum = 0, sq = 0, max = 0;
            for (int p = start; p < end; p++) {
                assertTrue(Math.abs(t[p]) <= bound * (1 + 1e-7), "layer " + l + " param " + p + " = " + t[p] + " beyond ±" + bound);
                sum += t[p];
                sq += t[p] * t[p];
                max = Math.max(max, Math.abs(t[p]));
            }
            int n = end - start;
            double mean = sum / n, var = sq / n - mean * mean;
            // U(-c, c): mean 0, variance c²/3; with n >= 9 params the checks are loose, for n = 120,300 tight.
            assertEquals(0, mean, 4 * bound / Math.sqrt(3 * n) + 1e-9, "layer " + l + " mean");
            if (n > 1000) assertEquals(bound * bound / 3, var, 0.02 * bound * bound, "layer " + l + " variance");
            assertTrue(max > 0.5 * bound, "layer " + l + " never approaches its bound");
        }
    }

    @Test
    void badSpecsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new MlpSpec(0, new int[] {3}, 1, Activation.RELU, 1f));
        assertThrows(IllegalArgumentException.class, () -> new MlpSpec(2, new int[] {0}, 1, Activation.RELU, 1f));
        assertThrows(IllegalArgumentException.class, () -> new MlpSpec(2, new int[] {3}, 1, Activation.RELU, Float.NaN));
        var e = assertThrows(IllegalArgumentException.class, () -> MlpSpec.of("huge", 2, 1, Activation.RELU, 1f));
        assertTrue(e.getMessage().contains("small, medium, large"));
        assertEquals(1185, MlpSpec.of("32-32", 2, 1, Activation.RELU, 1f).paramCount());
        assertThrows(IllegalArgumentException.class, () -> PolicyInit.initialize(medium, 1, new float[10], 0));
    }
}
