package policyzip.backend.cpu;

/**
 * tanh in float32 from adds, multiplies, fused multiply-adds and one division only: a [13/6] odd rational
 * approximation on x clamped to ±7.9053 (the coefficients of Eigen's {@code generic_fast_tanh_float}), with
 * tanh(x) = x for |x| < 4e-4 and ±1 for |x| >= 9.
 *
 * <p>Why not {@code Math.tanh} or the Vector API's TANH: those differ by an ulp between the interpreter, the JIT
 * and SVML, so the same policy would act differently depending on JIT state and thread timing. Every operation
 * here is a correctly rounded IEEE operation evaluated in a fixed order, so the scalar path, the SIMD path and the
 * CUDA twin ({@code cuda/}) give the same bits. Error against the exact tanh: at most 3e-7 absolute (measured over
 * every float in [-12, 12], see FastTanhTest).
 */
public final class FastTanh {
    static final float CLAMP = 7.90531110763549805f;
    static final float SMALL = 0.0004f;
    static final float SATURATE = 9f;
    static final float A13 = -2.76076847742355e-16f, A11 = 2.00018790482477e-13f, A9 = -8.60467152213735e-11f,
            A7 = 5.12229709037114e-08f, A5 = 1.48572235717979e-05f, A3 = 6.37261928875436e-04f, A1 = 4.89352455891786e-03f;
    static final float B6 = 1.19825839466702e-06f, B4 = 1.18534705686654e-04f, B2 = 2.26843463243900e-03f, B0 = 4.89352518554385e-03f;

    private FastTanh() {}

    public static float tanh(float x) {
        float xc = Math.max(-CLAMP, Math.min(CLAMP, x));
        float x2 = xc * xc;
        float p = Math.fma(x2, A13, A11);
        p = Math.fma(p, x2, A9);
        p = Math.fma(p, x2, A7);
        p = Math.fma(p, x2, A5);
        p = Math.fma(p, x2, A3);
        p = Math.fma(p, x2, A1);
        p = p * xc;
        float q = Math.fma(x2, B6, B4);
        q = Math.fma(q, x2, B2);
        q = Math.fma(q, x2, B0);
        float r = p / q;
        float ax = Math.abs(x);
        if (ax < SMALL) return x;
        if (ax >= SATURATE) return Math.copySign(1f, x);
        return r;
    }
}
