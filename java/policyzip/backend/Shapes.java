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
        // Fast path without building messages: this runs once per env step in rollouts.
        if (theta != null && states != null && actions != null && theta.length() == (long) batch * mlp.paramCount()
                && states.length() == layout.length(batch, m, o) && actions.length() == (long) batch * m * mlp.actDim()
                && (activations == null || activations.length() == (long) batch * mlp.hiddenUnits() * m)) {
            return;
        }
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
        if (x != null && w != null && y != null && x.length() == (long) rows * in && w.length() == (long) out * in
                && y.length() == (long) rows * out) {
            return;
        }
        length("x", x, (long) rows * in, "[R=" + rows + ", I=" + in + "]");
        length("W", w, (long) out * in, "[J=" + out + ", I=" + in + "]");
        length("y", y, (long) rows * out, "[R=" + rows + ", J=" + out + "]");
    }

    /** Checks the arguments of {@link Backend#initPolicies}. */
    public static void initPolicies(MlpSpec mlp, long[] seeds, Buffer theta) {
        length("theta", theta, (long) seeds.length * mlp.paramCount(), "[B=" + seeds.length + ", P=" + mlp.paramCount() + "]");
    }

    /** Checks the arguments of {@link Backend#mlpBackward} (the forward's, activations required, and the gradients). */
    public static void mlpBackward(MlpSpec mlp, Buffer theta, int batch, Buffer states, StateLayout layout, int m, Buffer actions,
                                   Buffer activations, Buffer dActions, Buffer dTheta, Buffer dStates) {
        mlp(mlp, theta, batch, states, layout, m, actions, activations);
        if (activations == null) throw new IllegalArgumentException("activations is null: run mlpForward with an activations buffer first");
        length("dActions", dActions, (long) batch * m * mlp.actDim(), "[B, M, A]");
        length("dTheta", dTheta, (long) batch * mlp.paramCount(), "[B, P]");
        optionalLength("dStates", dStates, layout.length(batch, m, mlp.obsDim()), layout == StateLayout.SHARED ? "[M, O]" : "[B, M, O]");
    }

    /** Checks the arguments of {@link Backend#denseForward}. */
    public static void denseForward(Buffer x, int rows, int in, Buffer w, Buffer b, int out, Buffer y) {
        dense(x, rows, in, w, out, y);
        length("b", b, out, "[J=" + out + "]");
    }

    /** Checks the arguments of {@link Backend#denseBackward}. */
    public static void denseBackward(Buffer x, int rows, int in, Buffer w, int out, Buffer y, Buffer dy, Buffer dw, Buffer db, Buffer dx) {
        dense(x, rows, in, w, out, y);
        length("dy", dy, (long) rows * out, "[R, J]");
        length("dW", dw, (long) out * in, "[J, I]");
        length("db", db, out, "[J]");
        optionalLength("dx", dx, (long) rows * in, "[R, I]");
    }

    /** Checks the arguments of {@link Backend#adamStep}: t >= 1, grad, m and v as long as param. */
    public static void adam(int t, Buffer param, Buffer grad, Buffer m, Buffer v) {
        if (t < 1) throw new IllegalArgumentException("Adam step t must be >= 1, got " + t);
        int n = param.length();
        length("grad", grad, n, "[n]");
        length("m", m, n, "[n]");
        length("v", v, n, "[n]");
    }

    /** Checks the arguments of {@link Backend#columnAffine}. */
    public static void columnAffine(Buffer x, int rows, int cols, Buffer scale, Buffer shift, Buffer y) {
        positive("rows R", rows);
        positive("columns C", cols);
        length("x", x, (long) rows * cols, "[R=" + rows + ", C=" + cols + "]");
        length("y", y, (long) rows * cols, "[R=" + rows + ", C=" + cols + "]");
        length("scale", scale, cols, "[C=" + cols + "]");
        optionalLength("shift", shift, cols, "[C=" + cols + "]");
    }

    /** Checks the arguments of {@link Backend#meanSquaredError}. */
    public static void meanSquaredError(Buffer pred, Buffer target, Buffer grad) {
        int n = pred.length();
        positive("elements n", n);
        length("target", target, n, "[n=" + n + "]");
        optionalLength("grad", grad, n, "[n=" + n + "]");
    }

    /** Checks the arguments of {@link Backend#knnSquaredDistances}. */
    public static void knn(Buffer queries, int rowsQ, Buffer pool, int rowsP, int dim, int k, int selfOffset, Buffer out) {
        positive("query rows Q", rowsQ);
        positive("pool rows P", rowsP);
        positive("dimension D", dim);
        positive("neighbours k", k);
        if (selfOffset < -1) {
            throw new IllegalArgumentException("selfOffset must be -1 (no self-exclusion) or >= 0, got " + selfOffset);
        }
        if (selfOffset >= 0 && (long) selfOffset + rowsQ > rowsP) {
            throw new IllegalArgumentException("selfOffset + Q must be <= P (query i is pool row selfOffset + i), got "
                    + selfOffset + " + " + rowsQ + " > " + rowsP);
        }
        int candidates = selfOffset >= 0 ? rowsP - 1 : rowsP;
        if (k > candidates) {
            throw new IllegalArgumentException("k = " + k + " neighbours need k <= " + (selfOffset >= 0 ? "P − 1" : "P") + " = "
                    + candidates + (selfOffset >= 0 ? " (self excluded)" : "") + "; got P = " + rowsP);
        }
        length("queries", queries, (long) rowsQ * dim, "[Q=" + rowsQ + ", D=" + dim + "]");
        length("pool", pool, (long) rowsP * dim, "[P=" + rowsP + ", D=" + dim + "]");
        length("out", out, (long) rowsQ * k, "[Q=" + rowsQ + ", k=" + k + "]");
    }

    /** Checks the arguments of {@code Backend.pairwiseSquaredDistances}. */
    public static void pairwise(Buffer x, int rowsX, Buffer y, int rowsY, int dim, Buffer out) {
        positive("rows of x", rowsX);
        positive("rows of y", rowsY);
        positive("dimension D", dim);
        length("x", x, (long) rowsX * dim, "[R1=" + rowsX + ", D=" + dim + "]");
        length("y", y, (long) rowsY * dim, "[R2=" + rowsY + ", D=" + dim + "]");
        length("out", out, (long) rowsX * rowsY, "[R1=" + rowsX + ", R2=" + rowsY + "]");
    }
}
