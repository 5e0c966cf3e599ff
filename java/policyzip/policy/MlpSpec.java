package policyzip.policy;

import java.util.Arrays;
import java.util.Locale;

/**
 * Architecture of a deterministic MLP policy π_θ : R^O → R^A (SPEC.md section 1), and the layout of its
 * flat parameter vector θ ∈ R^P.
 *
 * <p>Layout: for each layer l in order, {@code W_l[out][in]} row-major, then {@code b_l[out]}. Hidden
 * layers apply {@link #hiddenActivation()}; the output layer applies {@code outputScale · tanh} (scale 1 for
 * actions in [-1, 1], 2 for Pendulum's torque).
 *
 * <p>Immutable and thread-safe.
 */
public final class MlpSpec {
    /** Hidden sizes of the named presets (SPEC.md section 1); the same for every env. */
    public static final int[] SMALL = {4}, MEDIUM = {32, 32}, LARGE = {400, 300};

    private final int[] sizes;          // [O, H_1, ..., H_L-1, A]
    private final int[] weightOffset;   // per layer
    private final int[] biasOffset;     // per layer
    private final int paramCount;
    private final int hiddenUnits;      // Σ H_l
    private final Activation hiddenActivation;
    private final float outputScale;

    public MlpSpec(int obsDim, int[] hidden, int actDim, Activation hiddenActivation, float outputScale) {
        if (obsDim < 1 || actDim < 1) {
            throw new IllegalArgumentException("obs and action dimensions must be >= 1, got obs " + obsDim + ", act " + actDim);
        }
        for (int h : hidden) {
            if (h < 1) throw new IllegalArgumentException("hidden sizes must be >= 1, got " + Arrays.toString(hidden));
        }
        if (!(outputScale > 0f) || Float.isInfinite(outputScale)) {
            throw new IllegalArgumentException("output scale must be finite and > 0, got " + outputScale);
        }
        this.hiddenActivation = java.util.Objects.requireNonNull(hiddenActivation);
        this.outputScale = outputScale;
        sizes = new int[hidden.length + 2];
        sizes[0] = obsDim;
        System.arraycopy(hidden, 0, sizes, 1, hidden.length);
        sizes[sizes.length - 1] = actDim;
        int layers = sizes.length - 1;
        weightOffset = new int[layers];
        biasOffset = new int[layers];
        long p = 0;
        int hu = 0;
        for (int l = 0; l < layers; l++) {
            weightOffset[l] = (int) p;
            p += (long) sizes[l] * sizes[l + 1];
            biasOffset[l] = (int) p;
            p += sizes[l + 1];
            if (p > Integer.MAX_VALUE) throw new IllegalArgumentException("too many parameters: " + p);
            if (l < layers - 1) hu += sizes[l + 1];
        }
        paramCount = (int) p;
        hiddenUnits = hu;
    }

    /** A preset ("small", "medium", "large") or explicit hidden sizes ("64-64") for an env's dimensions. */
    public static MlpSpec of(String size, int obsDim, int actDim, Activation hidden, float outputScale) {
        int[] h = switch (size.toLowerCase(Locale.ROOT)) {
            case "small" -> SMALL;
            case "medium" -> MEDIUM;
            case "large" -> LARGE;
            default -> parseHidden(size);
        };
        return new MlpSpec(obsDim, h, actDim, hidden, outputScale);
    }

    private static int[] parseHidden(String s) {
        try {
            return Arrays.stream(s.split("-")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unknown policy size '" + s + "': expected small, medium, large or hidden sizes such as 64-64");
        }
    }

    public int obsDim() { return sizes[0]; }
    public int actDim() { return sizes[sizes.length - 1]; }
    /** Number of weight layers (hidden layers + 1). */
    public int layers() { return sizes.length - 1; }
    /** Input width of layer l. */
    public int in(int l) { return sizes[l]; }
    /** Output width of layer l. */
    public int out(int l) { return sizes[l + 1]; }
    public int weightOffset(int l) { return weightOffset[l]; }
    public int biasOffset(int l) { return biasOffset[l]; }
    /** P, the length of θ. */
    public int paramCount() { return paramCount; }
    /** Σ of hidden widths: the per-state length of the activations a backward pass needs. */
    public int hiddenUnits() { return hiddenUnits; }
    /** Widest layer (input, hidden or output). */
    public int maxWidth() { return Arrays.stream(sizes).max().orElseThrow(); }
    public Activation hiddenActivation() { return hiddenActivation; }
    public float outputScale() { return outputScale; }
    /** Multiply-adds of one forward pass on one state. */
    public long macsPerState() {
        long s = 0;
        for (int l = 0; l < layers(); l++) s += (long) in(l) * out(l);
        return s;
    }

    /** "2-32-32-1 relu, out 1.0·tanh, P=1185". */
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < sizes.length; i++) b.append(i == 0 ? "" : "-").append(sizes[i]);
        return b + " " + hiddenActivation.name().toLowerCase(Locale.ROOT) + ", out " + outputScale + "·tanh, P=" + paramCount;
    }

    @Override public String toString() { return describe(); }

    @Override public boolean equals(Object o) {
        return o instanceof MlpSpec m && Arrays.equals(sizes, m.sizes) && hiddenActivation == m.hiddenActivation
                && Float.compare(outputScale, m.outputScale) == 0;
    }

    @Override public int hashCode() { return Arrays.hashCode(sizes) * 31 + hiddenActivation.hashCode(); }
}
