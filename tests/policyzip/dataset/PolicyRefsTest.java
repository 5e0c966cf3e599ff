package policyzip.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import policyzip.backend.Buffer;
import policyzip.backend.cpu.CpuBackend;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

/** θ loaded onto a backend from seed chains equals the host regeneration bit for bit, fresh or mutated, into a slice. */
class PolicyRefsTest {
    private static final MlpSpec MLP = MlpSpec.of("medium", 3, 2, Activation.TANH, 2f);

    @Test
    void loadEqualsHostRegenerationForFreshAndMutatedBatches() {
        PolicyRefs refs = new PolicyRefs();
        for (int i = 0; i < 40; i++) refs.addFresh(0x5EED + 977L * i);
        refs.addMutation(refs, 3, 12345);
        refs.addMutation(refs, 40, 777);
        int p = MLP.paramCount();
        int[] fresh = {7, 0, 39, 3, 3, 18, 21, 5, 9, 11, 2, 30, 31, 1, 17, 25, 8};
        int[] mixed = {7, 41, 3, 40};
        assertTrue(refs.allFresh(fresh, fresh.length));
        assertFalse(refs.allFresh(mixed, mixed.length));
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend be = new CpuBackend(threads); Buffer all = be.allocate((fresh.length + 2) * p)) {
                for (int[] idx : new int[][] {fresh, mixed}) {
                    float[] want = new float[idx.length * p], host = new float[idx.length * p], got = new float[idx.length * p];
                    refs.thetas(MLP, 0.1f, idx, idx.length, want);
                    Buffer dst = all.slice(p, idx.length * p);   // not at offset 0: the CPU's direct init must honour it
                    refs.load(be, MLP, 0.1f, idx, idx.length, dst, host);
                    be.read(dst, got, 0);
                    assertArrayEquals(want, got, threads + " threads, batch " + Arrays.toString(idx));
                }
                float[] first = new float[p];
                be.read(all.slice(0, p), first, 0);
                assertArrayEquals(new float[p], first, "nothing written before the slice");
            }
        }
        // The staging array: none allocated while every batch is fresh; one, reused, once a batch holds a mutation.
        try (CpuBackend be = new CpuBackend(1); Buffer dst = be.allocate(mixed.length * p)) {
            assertNull(refs.load(be, MLP, 0.1f, Arrays.copyOf(fresh, mixed.length), mixed.length, dst, null));
            float[] staging = refs.load(be, MLP, 0.1f, mixed, mixed.length, dst, null);
            assertTrue(staging != null && staging.length == mixed.length * p);
            assertSame(staging, refs.load(be, MLP, 0.1f, mixed, mixed.length, dst, staging));
            float[] want = new float[mixed.length * p], got = new float[mixed.length * p];
            refs.thetas(MLP, 0.1f, mixed, mixed.length, want);
            be.read(dst, got, 0);
            assertArrayEquals(want, got);
        }
        float[] one = PolicyInit.initialize(MLP, refs.root(41));
        float[] mutated = new float[p];
        refs.theta(MLP, 0.1f, 41, mutated, 0);
        assertFalse(Arrays.equals(one, mutated), "policy 41 is mutated");
    }
}
