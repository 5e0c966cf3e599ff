package policyzip.policy;

/** Element-wise nonlinearity of a layer. Hidden layers use {@link #RELU} (SPEC.md section 1) or {@link #TANH}. */
public enum Activation {
    RELU, TANH, IDENTITY;

    /** Parses "relu", "tanh" or "identity" (case-insensitive). */
    public static Activation parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "relu" -> RELU;
            case "tanh" -> TANH;
            case "identity", "linear", "none" -> IDENTITY;
            default -> throw new IllegalArgumentException("unknown activation '" + s + "': expected relu, tanh or identity");
        };
    }
}
