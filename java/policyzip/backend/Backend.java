package policyzip.backend;

import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

/**
 * The numerical operations of PolicyZip, on buffers owned by the backend (DESIGN.md, Backends). Every
 * implementation computes the same function; {@code CpuBackend} is the reference and every GPU kernel has a
 * test against it.
 *
 * <p>Letters: B policies, M states, O obs width, A action width, P parameters, R rows, I/J layer widths.
 * All arrays are float32, row-major. Outputs are overwritten, never accumulated into. Arguments are
 * checked once here ({@link Shapes}), with messages that state the expected and actual sizes.
 */
public interface Backend extends AutoCloseable {

    /** Short name: "cpu-simd", "cpu-scalar", "cuda", "cuda-emu" (the CUDA backend on the CPU emulator of its kernels). */
    String name();

    /** One line on what this backend runs on (threads and vector width, or the GPU). */
    String describe();

    /** A zero-filled buffer of n floats. */
    Buffer allocate(int n);

    /** A buffer holding a copy of {@code host[off, off+len)}. */
    default Buffer upload(float[] host, int off, int len) {
        Buffer b = allocate(len);
        write(b, host, off);
        return b;
    }

    default Buffer upload(float[] host) { return upload(host, 0, host.length); }

    /** Copies {@code src.length()} floats from {@code host[off..]} into {@code dst}. */
    void write(Buffer dst, float[] host, int off);

    /** Copies {@code src} into {@code host[off..]}. */
    void read(Buffer src, float[] host, int off);

    /**
     * Batched policy forward: {@code actions[b, m, :] = π_{θ_b}(s)} with {@code s = states[m]} (SHARED, states
     * [M, O]) or {@code states[b, m]} (PER_POLICY, states [B, M, O]); theta [B, P]; actions [B, M, A].
     * If {@code activations} is not null, it receives the hidden activations [B, ΣH, M] (feature-major: per
     * policy, per hidden unit in layer order, the M post-activation values) that {@link #mlpBackward} needs.
     */
    void mlpForward(MlpSpec mlp, Buffer theta, int batch, Buffer states, StateLayout layout, int m,
                    Buffer actions, Buffer activations);

    /**
     * Batched policy backward. From dL/d(actions) [B, M, A], writes dL/dθ [B, P] and, if {@code dStates} is not
     * null, dL/d(states) in the states' layout (for SHARED, summed over the B policies). Needs the forward's
     * {@code actions} and {@code activations} for the same theta and states.
     */
    void mlpBackward(MlpSpec mlp, Buffer theta, int batch, Buffer states, StateLayout layout, int m,
                     Buffer actions, Buffer activations, Buffer dActions, Buffer dTheta, Buffer dStates);

    /**
     * θ of B random policies regenerated from their seeds into theta [B, P] ({@link PolicyInit#initialize}, bit for
     * bit on every backend). The CUDA backend draws them on the device ({@code cuda/policy_init.cu}), so only the
     * seeds cross the bus.
     */
    default void initPolicies(MlpSpec mlp, long[] seeds, Buffer theta) {
        Shapes.initPolicies(mlp, seeds, theta);
        write(theta, PolicyInit.initialize(mlp, seeds), 0);
    }

    /** Dense layer with shared weights: {@code y[r, :] = act(W · x[r, :] + b)}; x [R, I], W [J, I], b [J], y [R, J]. */
    void denseForward(Buffer x, int rows, int in, Buffer w, Buffer b, int out, Activation act, Buffer y);

    /**
     * Backward of {@link #denseForward}: from dL/dy [R, J] and the forward's x and y, writes dL/dW [J, I], dL/db [J]
     * and, if {@code dx} is not null, dL/dx [R, I].
     */
    void denseBackward(Buffer x, int rows, int in, Buffer w, int out, Activation act, Buffer y, Buffer dy,
                       Buffer dw, Buffer db, Buffer dx);

    /** One Adam step t (>= 1) on n parameters: updates param, m and v in place from grad. */
    void adamStep(AdamConfig cfg, int t, Buffer param, Buffer grad, Buffer m, Buffer v);

    /** Pairwise squared Euclidean distances {@code out[i, j] = ‖x_i − y_j‖²}; x [R1, D], y [R2, D], out [R1, R2]. */
    void pairwiseSquaredDistances(Buffer x, int rowsX, Buffer y, int rowsY, int dim, Buffer out);

    /**
     * Exact k nearest neighbours by squared Euclidean distance: for each query row i, the k smallest values of
     * {@code ‖q_i − p_j‖²} over pool rows j, ascending, into {@code out[i, 0..k)}. When {@code selfOffset >= 0}, pool row
     * {@code selfOffset + i} is query i itself and is skipped (so the queries may be a slice of the pool). queries
     * [Q, D], pool [P, D], out [Q, K]; needs K <= P (K <= P − 1 when skipping self). Memory beyond the output is
     * bounded by a block of the distance matrix, never [Q, P]. The novelty score of dataset generation is the mean of
     * the square roots of a row.
     */
    void knnSquaredDistances(Buffer queries, int rowsQ, Buffer pool, int rowsP, int dim, int k, int selfOffset, Buffer out);

    /**
     * Per-column affine map {@code y[r, c] = x[r, c] · scale[c] + shift[c]} (shift may be null: 0); x, y [R, C],
     * scale, shift [C]; y may be x. Standardises policy parameters on the way into the encoder and back out of the
     * decoder; with shift null it is also the backward of either.
     */
    void columnAffine(Buffer x, int rows, int cols, Buffer scale, Buffer shift, Buffer y);

    /**
     * Mean squared error {@code L = Σ (pred − target)² / n} over n = pred.length() elements, returned (the sum in
     * double), and its gradient {@code grad = 2 (pred − target) / n} (grad may be null).
     */
    double meanSquaredError(Buffer pred, Buffer target, Buffer grad);

    /** How many threads may usefully call this backend at once: the CPU backend's thread count; a GPU's 1. */
    default int concurrentCallers() { return 1; }

    /** The device's FP32 FMA peak in GFLOP/s, the yardstick of the GPU benchmarks; 0 where none is known (the CPU). */
    default double peakGflops() { return 0; }

    /**
     * Policies per forward call that suit this backend when each has only a few states (rollouts): the CPU keeps a
     * group's parameters cache-resident across env steps; a GPU wants everything in one call.
     */
    default int preferredPolicyGroup(MlpSpec mlp, int statesPerPolicy) { return Integer.MAX_VALUE; }

    /** Waits for queued work (a no-op on the CPU). */
    default void synchronize() {}

    @Override void close();
}
