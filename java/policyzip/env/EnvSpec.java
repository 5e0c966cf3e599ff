package policyzip.env;

import java.util.List;

/**
 * Constants of an environment: Gymnasium id, short name, observation and action widths, the action box, the
 * time limit, the box probe states are drawn from (SPEC.md section 2) and the tasks it supports (SPEC.md
 * section 3; the first is the standard reward).
 *
 * <p>{@code probeLow}/{@code probeHigh} bound probe states in <em>observation</em> space, [O] each (or empty where
 * probe states come from rollouts, SPEC.md section 2). How a probe state is drawn inside that box is
 * {@code probeMap}'s business: uniformly in the box ({@link ProbeMap#BOX}, MountainCar), or uniformly in the
 * underlying angle and velocity and then observed ({@link ProbeMap#ANGLE_VELOCITY}, Pendulum, whose (cos, sin) pair
 * lies on the unit circle, not in the square). {@link #sampleProbeStates} does the drawing, deterministically from a
 * seed.
 *
 * @param policyOutputScale the scale of a policy's tanh output that spans the action box (2 for Pendulum)
 * @param probeMap how {@link #sampleProbeStates} turns uniform draws into observations
 */
public record EnvSpec(String id, String name, int obsDim, int actDim, float actionLow, float actionHigh,
                      int maxEpisodeSteps, double[] probeLow, double[] probeHigh, List<String> tasks,
                      float policyOutputScale, ProbeMap probeMap) {

    /** How probe states (SPEC.md section 2) are drawn from the probe box. */
    public enum ProbeMap {
        /** Coordinate d uniform in [probeLow[d], probeHigh[d]]. */
        BOX,
        /**
         * Observation (cos θ, sin θ, θ̇) with θ uniform in [-π, π] and θ̇ uniform in [probeLow[2], probeHigh[2]]
         * (Pendulum); probeLow/probeHigh[0..1] = ∓1 only bound the observation.
         */
        ANGLE_VELOCITY
    }

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    public EnvSpec {
        if (probeMap == null) throw new IllegalArgumentException("probeMap of " + name + " is null; use ProbeMap.BOX for a plain box");
        int lo = probeLow == null ? 0 : probeLow.length, hi = probeHigh == null ? 0 : probeHigh.length;
        if (lo != hi || (lo != 0 && lo != obsDim)) {
            throw new IllegalArgumentException("probe box of " + name + " has " + lo + " and " + hi
                    + " bounds; expected obsDim = " + obsDim + " each (or none, for envs whose probe states come from rollouts)");
        }
        if (probeMap == ProbeMap.ANGLE_VELOCITY && obsDim != 3) {
            throw new IllegalArgumentException("ANGLE_VELOCITY probes give (cos, sin, velocity) observations, but " + name + " has obsDim " + obsDim);
        }
        tasks = List.copyOf(tasks);
    }

    /** A spec whose probe states are uniform in the observation box ({@link ProbeMap#BOX}). */
    public EnvSpec(String id, String name, int obsDim, int actDim, float actionLow, float actionHigh, int maxEpisodeSteps,
                   double[] probeLow, double[] probeHigh, List<String> tasks, float policyOutputScale) {
        this(id, name, obsDim, actDim, actionLow, actionHigh, maxEpisodeSteps, probeLow, probeHigh, tasks, policyOutputScale, ProbeMap.BOX);
    }

    /** Whether probe states can be drawn from a box ({@link #sampleProbeStates}); MuJoCo envs take them from rollouts. */
    public boolean hasProbeBox() { return probeLow != null && probeLow.length > 0; }

    /** The standard task (Gymnasium's own reward). */
    public String defaultTask() { return tasks.get(0); }

    /** Checks that {@code task} exists, or says which do. */
    public String checkTask(String task) {
        if (task == null || !tasks.contains(task)) {
            throw new IllegalArgumentException("env " + name + " has no task '" + task + "'; its tasks are " + String.join(", ", tasks));
        }
        return task;
    }

    /**
     * M probe observations [M, O] row-major, float32, a pure function of {@code (m, seed)}: the same seed gives
     * the same states on every machine, and the first m' rows do not depend on m.
     *
     * <p>Counter-based like {@code policyzip.policy.PolicyInit}: uniform u number {@code c = j·O + d} (row j,
     * coordinate d) is {@code (mix64(seed + (c + 1)·0x9E3779B97F4A7C15) >>> 11)·2^-53} in [0, 1), mix64 being
     * SplitMix64's finaliser; coordinate d is then {@code low + (high − low)·u} in double, rounded once to float
     * ({@link ProbeMap#BOX}), or, for {@link ProbeMap#ANGLE_VELOCITY}, θ = −π + 2π·u₀ and θ̇ from u₂ as in a box,
     * observed as {@code (float) cos θ, (float) sin θ, (float) θ̇} (counter c = j·O + 1 stays unused, so every
     * coordinate keeps its own counter). {@link StrictMath} keeps cos/sin identical across JVMs.
     */
    public float[] sampleProbeStates(int m, long seed) {
        if (!hasProbeBox()) {
            throw new IllegalStateException("env " + name + " has no probe box: collect its probe states from rollouts (SPEC.md section 2)");
        }
        if (m < 1) throw new IllegalArgumentException("number of probe states must be >= 1, got " + m);
        int o = obsDim;
        float[] dst = new float[Math.multiplyExact(m, o)];
        for (int j = 0; j < m; j++) {
            int row = j * o;
            switch (probeMap) {
                case BOX -> {
                    for (int d = 0; d < o; d++) dst[row + d] = (float) (probeLow[d] + (probeHigh[d] - probeLow[d]) * uniform(seed, row + d));
                }
                case ANGLE_VELOCITY -> {
                    double theta = -Math.PI + 2 * Math.PI * uniform(seed, row);
                    dst[row] = (float) StrictMath.cos(theta);
                    dst[row + 1] = (float) StrictMath.sin(theta);
                    dst[row + 2] = (float) (probeLow[2] + (probeHigh[2] - probeLow[2]) * uniform(seed, row + 2));
                }
            }
        }
        return dst;
    }

    /** Uniform double in [0, 1) number {@code counter} of the stream {@code seed}. */
    private static double uniform(long seed, long counter) {
        return (mix64(seed + (counter + 1) * GOLDEN) >>> 11) * 0x1.0p-53;
    }

    /** SplitMix64's output function (same as {@code PolicyInit.mix64}; env does not depend on policy). */
    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
