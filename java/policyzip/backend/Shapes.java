package policyzip.backend;

import policyzip.policy.MlpSpec;

/** Argument checks shared by every backend: one message stating what was expected and what was given. */
public final class Shapes {
    private Shapes() {}

    public static void positive(String what, int n) {
        if (n < 1) throw new IllegalArgumentException(what + " must be >= 1, got " + n);
    }

    /** Checks that a buffer holds exactly {@code expected} floats. */
    public static void length(String what, Buffer b, long expected, String shape) {
        if (b == null) throw new IllegalArgumentException(what + " is null; expected " + shape + " = " + expected + " floats");
        if (b.length() != expected) {
            throw new IllegalArgumentException(what + " has " + b.length() + " floats; expected " + shape + " = " + expected);
        }
    }

    public static void optionalLength(String what, Buffer b, long expected, String shape) {
        if (b != null) length(what, b, expected, shape);
    }

    public static void mlp(MlpSpec mlp, Buffer theta, int batch, Buffer states, StateLayout layout, int m, Buffer actions,
                           Buffer activations) {
        positive("batch B", batch);
        positive("states M", m);
        int o = mlp.obsDim();
        length("theta", theta, (long) batch * mlp.paramCount(), "[B=" + batch + ", P=" + mlp.paramCount() + "]");
        length("states", states, layout.length(batch, m, o),
                layout == StateLayout.SHARED ? "[M=" + m + ", O=" + o + "]" : "[B=" + batch + ", M=" + m + ", O=" + o + "]");
        length("actions", actions, (long) batch * m * mlp.actDim(), "[B=" + batch + ", M=" + m + ", A=" + mlp.actDim() + "]");
        optionalLength("activations", activations, (long) batch * mlp.hiddenUnits() * m,
                "[B=" + batch + ", ΣH=" + mlp.hiddenUnits() + ", M=" + m + "]");
    }

    public static void dense(Buffer x, int rows, int in, Buffer w, int out, Buffer y) {
        positive("rows R", rows);
        positive("input width I", in);
        positive("output width J", out);
        length("x", x, (long) rows * in, "[R=" + rows + ", I=" + in + "]");
        length("W", w, (long) out * in, "[J=" + out + ", I=" + in + "]");
        length("y", y, (long) rows * out, "[R=" + rows + ", J=" + out + "]");
    }
}
