package policyzip.backend;

/** How the states of a batched policy forward are laid out. */
public enum StateLayout {
    /** One set of M states shared by all B policies: states [M, O]. */
    SHARED,
    /** Each policy has its own M states: states [B, M, O]. */
    PER_POLICY;

    /** Floats in the state array for B policies and M states of width O. */
    public long length(int b, int m, int o) {
        return this == SHARED ? (long) m * o : (long) b * m * o;
    }
}
