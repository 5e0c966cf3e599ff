package policyzip.policy;

/**
 * The random-policy prior (SPEC.md section 1): every weight and bias of layer l uniform in ±1/sqrt(in(l)),
 * PyTorch's default, drawn from a 64-bit seed.
 *
 * <p>Counter-based so that any backend, including a GPU thread per parameter, regenerates θ bit-identically:
 * parameter p takes the p-th output of SplitMix64 started at {@code seed}, i.e.
 * {@code r = mix64(seed + (p + 1)·0x9E3779B97F4A7C15)}; its top 24 bits give {@code u = (r >>> 40)·2^-24}, and
 * {@code θ_p = bound_l · (2u − 1)} in float32, where {@code bound_l = (float) (1.0 / sqrt((double) in(l)))}. Every
 * step is exact or a single correctly rounded IEEE operation, so the result does not depend on the machine,
 * the thread count or the order of generation. (cuda/ has the twin.)
 */
public final class PolicyInit {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private PolicyInit() {}

    /** Writes θ for {@code seed} into {@code dst[off, off + P)}. */
    public static void initialize(MlpSpec spec, long seed, float[] dst, int off) {
        if (off < 0 || off + (long) spec.paramCount() > dst.length) {
            throw new IllegalArgumentException("destination too small: need " + spec.paramCount() + " floats at offset " + off
                    + ", array has " + dst.length);
        }
        for (int l = 0; l < spec.layers(); l++) {
            float bound = bound(spec.in(l));
            int start = spec.weightOffset(l);
            int end = spec.biasOffset(l) + spec.out(l);
            for (int p = start; p < end; p++) dst[off + p] = sample(seed, p, bound);
        }
    }

    /** A new θ for {@code seed}. */
    public static float[] initialize(MlpSpec spec, long seed) {
        float[] theta = new float[spec.paramCount()];
        initialize(spec, seed, theta, 0);
        return theta;
    }

    /** θ for seeds {@code seeds[i]}, row i of the returned [B, P] array. */
    public static float[] initialize(MlpSpec spec, long[] seeds) {
        float[] thetas = new float[Math.multiplyExact(seeds.length, spec.paramCount())];
        for (int i = 0; i < seeds.length; i++) initialize(spec, seeds[i], thetas, i * spec.paramCount());
        return thetas;
    }

    /** The prior's per-coordinate standard deviation bound_l / sqrt(3) [P] (its mean is 0). */
    public static float[] priorStd(MlpSpec spec) {
        float[] std = new float[spec.paramCount()];
        for (int l = 0; l < spec.layers(); l++) {
            java.util.Arrays.fill(std, spec.weightOffset(l), spec.biasOffset(l) + spec.out(l), bound(spec.in(l)) / (float) Math.sqrt(3));
        }
        return std;
    }

    /**
     * A Gaussian mutation (novelty search's option, SPEC.md section 2): adds {@code sigma · bound_l · z_p} to every
     * parameter p of {@code dst[off, off + P)}, z_p standard normal from the counter-based stream {@code seed}
     * ({@link #gaussian}). Deterministic and independent of the machine and thread count, so a mutated policy is
     * regenerated bit-identically from its seed chain.
     */
    public static void mutate(MlpSpec spec, long seed, float sigma, float[] dst, int off) {
        if (off < 0 || off + (long) spec.paramCount() > dst.length) {
            throw new IllegalArgumentException("destination too small: need " + spec.paramCount() + " floats at offset " + off
                    + ", array has " + dst.length);
        }
        for (int l = 0; l < spec.layers(); l++) {
            float scale = sigma * bound(spec.in(l));
            int start = spec.weightOffset(l);
            int end = spec.biasOffset(l) + spec.out(l);
            for (int p = start; p < end; p++) dst[off + p] += scale * gaussian(seed, p);
        }
    }

    /**
     * Standard normal number p of the stream {@code seed}: Box–Muller on two uniforms from SplitMix64 outputs 2p + 1
     * and 2p + 2 (u1 in (0, 1], u2 in [0, 1)), in double with {@link StrictMath}, rounded once to float.
     */
    public static float gaussian(long seed, long p) {
        double u1 = ((mix64(seed + (2 * p + 1) * GOLDEN) >>> 11) + 1) * 0x1.0p-53;
        double u2 = (mix64(seed + (2 * p + 2) * GOLDEN) >>> 11) * 0x1.0p-53;
        return (float) (StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * Math.PI * u2));
    }

    /** 1/sqrt(fanIn) rounded once to float. */
    public static float bound(int fanIn) {
        return (float) (1.0 / Math.sqrt(fanIn));
    }

    /** Parameter p of the policy with this seed, for a layer with the given bound. */
    public static float sample(long seed, long p, float bound) {
        long r = mix64(seed + (p + 1) * GOLDEN);
        float u = (r >>> 40) * 0x1.0p-24f;
        return bound * (2f * u - 1f);
    }

    /** A uniform double in [0, 1) from the hash of {@code s}: the top 53 bits of {@link #mix64}. */
    public static double unit(long s) {
        return (mix64(s) >>> 11) * 0x1.0p-53;
    }

    /** SplitMix64's output function (Steele, Lea, Flood 2014). */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
