package policyzip.embed;

import java.nio.file.Path;
import policyzip.ae.Autoencoder;
import policyzip.ae.Checkpoint;
import policyzip.backend.cpu.Kernels;
import policyzip.backend.cpu.KernelsProvider;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

/**
 * The embedding API: a trained latent policy space, for latency-sensitive callers.
 *
 * <pre>{@code
 * LatentPolicies space = LatentPolicies.load(Path.of("mc-medium-k2.ckpt"));
 * float[] theta = space.decode(new float[] {0.3f, -1.2f});      // θ = g(z), [P]
 * float[] action = new float[space.actionDim()];
 * space.act(theta, obs, action);                                 // π_θ(obs), no allocation
 * space.actLatent(new float[] {0.3f, -1.2f}, obs, action);       // decode and act in one call
 * }</pre>
 *
 * <p>Computes on the calling thread with the CPU kernels (Vector API where present): one decoded policy and one state
 * at a time are matrix-vector products, for which a GPU round trip would cost more than the work. Thread-safe: the
 * weights are immutable and each thread gets its own scratch on first use, so {@link #act}, {@link #decodeInto} and
 * {@link #actLatent} allocate nothing after a thread's first call.
 */
public final class LatentPolicies {
    private final MlpSpec policy;
    private final int k, p;
    private final int[] decSizes;          // [K, hidden..., P]
    private final int decOffset;           // where the decoder's parameters start in params
    private final float[] params, mean, std;
    private final Kernels kernels = KernelsProvider.get();
    private final ThreadLocal<Scratch> scratch;

    private LatentPolicies(MlpSpec policy, int k, int[] aeSizes, int encoderLayers, float[] params, float[] mean, float[] std) {
        this.policy = policy;
        this.k = k;
        this.p = policy.paramCount();
        this.params = params;
        this.mean = mean;
        this.std = std;
        int off = 0;
        for (int l = 0; l < encoderLayers; l++) off += aeSizes[l] * aeSizes[l + 1] + aeSizes[l + 1];
        decOffset = off;
        decSizes = java.util.Arrays.copyOfRange(aeSizes, encoderLayers, aeSizes.length);
        int width = 0;
        for (int s : decSizes) width = Math.max(width, s);
        int w = Math.max(width, policy.maxWidth());
        scratch = ThreadLocal.withInitial(() -> new Scratch(w, p));
    }

    /** Loads a checkpoint written by {@code policyzip train}. */
    public static LatentPolicies load(Path checkpoint) {
        return of(Checkpoint.read(checkpoint));
    }

    public static LatentPolicies of(Checkpoint c) {
        int[] sizes = c.sizes();
        return new LatentPolicies(c.policy(), c.latent(), sizes, c.config().encoderHidden().length + 1, c.params(), c.mean(), c.std());
    }

    /**
     * An untrained space (PyTorch-style random weights, unit standardisation) of the given shape: for benchmarks and
     * tests of the API's cost, not for use.
     */
    public static LatentPolicies untrained(MlpSpec policy, int k, int[] encoderHidden, int[] decoderHidden, long seed) {
        int p = policy.paramCount();
        int[] sizes = Autoencoder.layerSizes(p, encoderHidden, k, decoderHidden);
        long n = 0;
        for (int l = 0; l + 1 < sizes.length; l++) n += (long) sizes[l] * sizes[l + 1] + sizes[l + 1];
        float[] w = new float[Math.toIntExact(n)];
        int off = 0;
        for (int l = 0; l + 1 < sizes.length; l++) {
            float bound = PolicyInit.bound(sizes[l]);
            int len = sizes[l] * sizes[l + 1] + sizes[l + 1];
            for (int i = 0; i < len; i++) w[off + i] = PolicyInit.sample(seed + l, i, bound);
            off += len;
        }
        float[] mean = new float[p], std = new float[p];
        java.util.Arrays.fill(std, 1f);
        return new LatentPolicies(policy, k, sizes, encoderHidden.length + 1, w, mean, std);
    }

    public int latentDim() { return k; }
    public int paramCount() { return p; }
    public int obsDim() { return policy.obsDim(); }
    public int actionDim() { return policy.actDim(); }
    public MlpSpec policy() { return policy; }

    /** θ = g(z) as a new array [P]. */
    public float[] decode(float[] z) {
        float[] theta = new float[p];
        decodeInto(z, theta);
        return theta;
    }

    /** θ = g(z) into {@code theta} [P]; no allocation. */
    public void decodeInto(float[] z, float[] theta) {
        if (z.length != k) throw new IllegalArgumentException("z has " + z.length + " numbers; this space has K = " + k);
        if (theta.length < p) throw new IllegalArgumentException("theta has room for " + theta.length + " parameters; needs P = " + p);
        Scratch s = scratch.get();
        float[] in = s.a, out = s.b;
        System.arraycopy(z, 0, in, 0, k);
        int off = decOffset, layers = decSizes.length - 1;
        for (int l = 0; l < layers; l++) {
            int ni = decSizes[l], no = decSizes[l + 1];
            boolean last = l == layers - 1;
            float[] dst = last ? theta : out;
            kernels.gemm(no, ni, 1, params, off, ni, in, 0, 1, dst, 0, 1);
            kernels.biasActivate(dst, 0, no, 1, 1, params, off + ni * no, true, last ? Activation.IDENTITY : Activation.RELU, 1f);
            off += ni * no + no;
            if (!last) {
                float[] t = in;
                in = out;
                out = t;
            }
        }
        for (int i = 0; i < p; i++) theta[i] = Math.fma(theta[i], std[i], mean[i]);
    }

    /** π_θ(obs) into {@code action} [A] for θ [P] (a decoded or any policy of this architecture); no allocation. */
    public void act(float[] theta, float[] obs, float[] action) {
        if (theta.length < p || obs.length != policy.obsDim() || action.length < policy.actDim()) {
            throw new IllegalArgumentException("act needs theta [" + p + "], obs [" + policy.obsDim() + "], action [" + policy.actDim()
                    + "]; got " + theta.length + ", " + obs.length + ", " + action.length);
        }
        Scratch s = scratch.get();
        float[] in = s.a, out = s.b;
        System.arraycopy(obs, 0, in, 0, obs.length);
        int layers = policy.layers();
        for (int l = 0; l < layers; l++) {
            int ni = policy.in(l), no = policy.out(l);
            boolean last = l == layers - 1;
            float[] dst = last ? action : out;
            kernels.gemm(no, ni, 1, theta, policy.weightOffset(l), ni, in, 0, 1, dst, 0, 1);
            kernels.biasActivate(dst, 0, no, 1, 1, theta, policy.biasOffset(l), true, last ? Activation.TANH : policy.hiddenActivation(),
                    last ? policy.outputScale() : 1f);
            if (!last) {
                float[] t = in;
                in = out;
                out = t;
            }
        }
    }

    /** π_{g(z)}(obs) into {@code action}: decode into this thread's scratch θ, then act; no allocation. */
    public void actLatent(float[] z, float[] obs, float[] action) {
        float[] theta = scratch.get().theta;
        decodeInto(z, theta);
        act(theta, obs, action);
    }

    private static final class Scratch {
        final float[] a, b, theta;

        Scratch(int width, int p) {
            a = new float[width + 64];
            b = new float[width + 64];
            theta = new float[p];
        }
    }
}
