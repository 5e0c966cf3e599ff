package policyzip.env;

/**
 * Bit-exact port of {@code np.random.default_rng(seed)}, i.e.
 * {@code Generator(PCG64(SeedSequence(seed)))}, as far as Gymnasium's resets need it
 * ({@code reset(seed=s)} seeds its {@code np_random} exactly this way). Lets a Java env draw the
 * same initial states as Gymnasium instead of replaying recorded ones.
 *
 * <p>Follows numpy 2.x (checked against numpy 2.4.6, see {@code tests/fixtures/numpy_rng.json}):
 * <ul>
 *   <li>{@code numpy/random/bit_generator.pyx} {@code SeedSequence}: the seed is split into
 *       32-bit words, least significant first; pool size 4; {@code hashmix} with
 *       {@code INIT_A=0x43b0d7e5, MULT_A=0x931e8875}; {@code mix} with
 *       {@code MIX_MULT_L=0xca01f9dd, MIX_MULT_R=0x4973f715}; {@code XSHIFT=16};
 *       {@code generate_state(4, uint64)} hashes the pool cyclically into 8 uint32 words with
 *       {@code INIT_B=0x8b51f9dd, MULT_B=0x58f38ded} and pairs them little-endian into 4 uint64.
 *       (MULT_B is {@code 0x58f38ded}; {@code 0x58f35a0b} does not reproduce numpy.)</li>
 *   <li>{@code numpy/random/_pcg64.pyx} / {@code pcg64.c} {@code pcg64_set_seed}: with those words
 *       {@code s[0..3]}, {@code initstate = s[0]<<64 | s[1]} and {@code initseq = s[2]<<64 | s[3]}
 *       (the first word is the high half); then PCG's {@code srandom_r}: {@code state = 0},
 *       {@code inc = initseq<<1 | 1}, step, {@code state += initstate}, step.</li>
 *   <li>Each output steps the 128-bit LCG ({@code state = state*MULT + inc}, numpy's
 *       {@code PCG_DEFAULT_MULTIPLIER_128}) and returns XSL-RR of the new state:
 *       {@code rotr64(hi ^ lo, state >>> 122)}.</li>
 *   <li>{@code random()} is numpy's {@code next_double}, {@code uniform} its
 *       {@code random_uniform}: {@code low + (high - low) * random()}. A size-n
 *       {@code uniform(low=[..], high=[..])} call draws element 0 first, so it equals n
 *       successive scalar calls.</li>
 * </ul>
 * Not thread-safe.
 */
public final class NumpyRandom {

    private static final int INIT_A = 0x43b0d7e5, MULT_A = 0x931e8875;
    private static final int INIT_B = 0x8b51f9dd, MULT_B = 0x58f38ded;
    private static final int MIX_MULT_L = 0xca01f9dd, MIX_MULT_R = 0x4973f715;
    private static final int XSHIFT = 16, POOL_SIZE = 4;
    private static final long MULT_HI = 2549297995355413924L, MULT_LO = 4865540595714422341L;

    private long stateHi, stateLo;
    private final long incHi, incLo;

    /** Same stream as {@code np.random.default_rng(seed)}; {@code seed >= 0}. */
    public NumpyRandom(long seed) {
        if (seed < 0) throw new IllegalArgumentException("seed must be >= 0: " + seed);
        int[] entropy = (seed >>> 32) == 0 ? new int[] {(int) seed} : new int[] {(int) seed, (int) (seed >>> 32)};
        int[] w = generateState(mixEntropy(entropy), 8);
        long s0 = word64(w, 0), s1 = word64(w, 1), s2 = word64(w, 2), s3 = word64(w, 3);
        incHi = (s2 << 1) | (s3 >>> 63);
        incLo = (s3 << 1) | 1;
        step();
        long lo = stateLo + s1;
        stateHi += s0 + (Long.compareUnsigned(lo, stateLo) < 0 ? 1 : 0);
        stateLo = lo;
        step();
    }

    /** Next raw 64-bit output, as {@code bit_generator.random_raw()} (unsigned value in a long). */
    public long nextLong() {
        step();
        return Long.rotateRight(stateHi ^ stateLo, (int) (stateHi >>> 58));
    }

    /** Uniform double in [0, 1), as {@code Generator.random()}. */
    public double random() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** As {@code Generator.uniform(low, high)}: {@code low + (high - low) * random()}. */
    public double uniform(double low, double high) {
        return low + (high - low) * random();
    }

    /**
     * As {@code Generator.standard_normal()}: numpy's 256-layer ziggurat ({@code random_standard_normal} in
     * {@code distributions.c}), with its tables ({@code numpy-ziggurat.txt}, written and checked against numpy by
     * {@code native-build/numpy_ziggurat.py}). The tail and wedge tests call {@link Math#log1p} and {@link Math#exp}
     * where numpy calls the C library's; a last-ulp difference between the two would change an accept decision only
     * for a draw lying within an ulp of the boundary.
     */
    public double standardNormal() {
        for (;;) {
            long r = nextLong();
            int idx = (int) (r & 0xff);
            r >>>= 8;
            long rabs = (r >>> 1) & 0x000fffffffffffffL;
            double x = rabs * Ziggurat.WI[idx];
            if ((r & 1) != 0) x = -x;
            if (rabs < Ziggurat.KI[idx]) return x; // rabs < 2^52 and ki < 2^52: signed compare is exact
            if (idx == 0) {
                for (;;) {
                    double xx = -Ziggurat.INV_R * Math.log1p(-random());
                    double yy = -Math.log1p(-random());
                    if (yy + yy > xx * xx) return ((rabs >>> 8) & 1) != 0 ? -(Ziggurat.R + xx) : Ziggurat.R + xx;
                }
            } else if ((Ziggurat.FI[idx - 1] - Ziggurat.FI[idx]) * random() + Ziggurat.FI[idx] < Math.exp(-0.5 * x * x)) {
                return x;
            }
        }
    }

    /** numpy's ziggurat tables, loaded on first use of {@link #standardNormal}. */
    private static final class Ziggurat {
        static final double R = 3.6541528853610087963519472518, INV_R = 0.27366123732975827203338247596;
        static final long[] KI = new long[256];
        static final double[] WI = new double[256], FI = new double[256];

        static {
            try (var in = NumpyRandom.class.getResourceAsStream("numpy-ziggurat.txt")) {
                if (in == null) throw new IllegalStateException("numpy-ziggurat.txt is missing from the classpath (a broken build)");
                int i = 0;
                for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).split("\n")) {
                    if (line.isBlank() || line.startsWith("#")) continue;
                    String[] f = line.trim().split(" ");
                    KI[i] = Long.parseUnsignedLong(f[0].substring(2), 16);
                    WI[i] = Double.parseDouble(f[1]);
                    FI[i] = Double.parseDouble(f[2]);
                    i++;
                }
                if (i != 256) throw new IllegalStateException("numpy-ziggurat.txt has " + i + " layers; expected 256");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private void step() {
        long lo = stateLo * MULT_LO;
        long hi = Math.unsignedMultiplyHigh(stateLo, MULT_LO) + stateHi * MULT_LO + stateLo * MULT_HI;
        stateLo = lo + incLo;
        stateHi = hi + incHi + (Long.compareUnsigned(stateLo, lo) < 0 ? 1 : 0);
    }

    private static long word64(int[] w, int i) {
        return (w[2 * i] & 0xffffffffL) | ((long) w[2 * i + 1] << 32);
    }

    private static int[] mixEntropy(int[] entropy) {
        int[] hashConst = {INIT_A};
        int[] pool = new int[POOL_SIZE];
        for (int i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < entropy.length ? entropy[i] : 0, hashConst);
        for (int src = 0; src < POOL_SIZE; src++)
            for (int dst = 0; dst < POOL_SIZE; dst++)
                if (src != dst) pool[dst] = mix(pool[dst], hashmix(pool[src], hashConst));
        for (int src = POOL_SIZE; src < entropy.length; src++)
            for (int dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src], hashConst));
        return pool;
    }

    private static int hashmix(int value, int[] hashConst) {
        value ^= hashConst[0];
        hashConst[0] *= MULT_A;
        value *= hashConst[0];
        return value ^ (value >>> XSHIFT);
    }

    private static int mix(int x, int y) {
        int r = MIX_MULT_L * x - MIX_MULT_R * y;
        return r ^ (r >>> XSHIFT);
    }

    private static int[] generateState(int[] pool, int nWords) {
        int[] out = new int[nWords];
        int hashConst = INIT_B;
        for (int i = 0; i < nWords; i++) {
            int v = pool[i % POOL_SIZE] ^ hashConst;
            hashConst *= MULT_B;
            v *= hashConst;
            out[i] = v ^ (v >>> XSHIFT);
        }
        return out;
    }
}
