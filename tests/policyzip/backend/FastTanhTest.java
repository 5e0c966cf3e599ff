package policyzip.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import policyzip.backend.cpu.FastTanh;
import policyzip.backend.cpu.KernelsProvider;
import policyzip.policy.Activation;

class FastTanhTest {
    @Test
    void withinThreeTenMillionthsOfExactTanh() {
        double worst = 0;
        for (float x = -12f; x < 12f; x = Math.nextUp(x)) {
            if (Math.abs(x) < 1e-3f && (Float.floatToRawIntBits(x) & 1023) != 0) continue; // subsample the dense part near 0
            worst = Math.max(worst, Math.abs(FastTanh.tanh(x) - Math.tanh(x)));
        }
        assertTrue(worst <= 3e-7, "max |error| " + worst);
        assertEquals(1f, FastTanh.tanh(50f));
        assertEquals(-1f, FastTanh.tanh(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(FastTanh.tanh(Float.NaN)));
        assertEquals(1e-5f, FastTanh.tanh(1e-5f));
    }

    @Test
    void simdAndScalarGiveTheSameBits() {
        int n = 4099;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (i - n / 2) * 0.0071f;
        x[0] = Float.NaN;
        x[1] = -30f;
        float[] a = x.clone(), b = x.clone(), zero = new float[n];
        KernelsProvider.get().biasActivate(a, 0, 1, n, n, zero, 0, false, Activation.TANH, 1f);
        KernelsProvider.scalar().biasActivate(b, 0, 1, n, n, zero, 0, false, Activation.TANH, 1f);
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToIntBits(b[i]), Float.floatToIntBits(a[i]), "x = " + x[i]);
        }
    }
}
