package policyzip.env;

import java.util.List;

/**
 * Pendulum-v1 (Gymnasium 1.3.0 {@code PendulumEnv}, g = 10, ENVS.md section 2), N instances. One task,
 * {@code swingup}: Gymnasium's reward {@code −(angle_normalize(θ)² + 0.1·θ̇² + 0.001·u²)} of the state before the
 * step and the clipped torque u; never terminates; truncated at 200 steps.
 *
 * <p><b>Layout.</b> State as structure of arrays: {@code theta[N]}, {@code thetaDot[N]} (float64, never rounded, as
 * in Gymnasium) and {@code sinTheta[N]} = sin(theta), computed once for the observation and reused by the next
 * step's dynamics (numpy evaluates the same {@code np.sin} of the same double twice). Observation row i =
 * (cos θ, sin θ, θ̇) rounded to float32, held in the double buffer. Action [N, A=1], torque in [−2, 2]: a policy's
 * tanh output is scaled by {@link EnvSpec#policyOutputScale()} = 2.
 *
 * <p><b>Numerics</b> (ENVS.md section 2): {@code u = clip(a, −2, 2)} stays float32; {@code 3.0/(m·l²)·u} is the
 * float32 product {@code 3f·u} (an all-double version drifts past 1e-5 within 200 steps), and the cost term
 * {@code 0.001·u²} is {@code f32(f32(0.001)·f32(u·u))}; everything else is double:
 * {@code θ̇' = clip(θ̇ + (15·sin θ + 3f·u)·0.05, −8, 8)}, {@code θ' = θ + θ̇'·0.05}.
 * {@code angle_normalize(x) = ((x + π) mod 2π) − π} with numpy's floored modulo (result has the divisor's sign).
 * Trigonometry is {@link Math}'s: within an ulp of numpy's (fixture trajectories agree to 6e-17), and 1.4× faster
 * here than {@link StrictMath}, whose argument reduction pays for the unbounded θ of a spinning pendulum.
 *
 * <p><b>Speed.</b> One pass over primitive arrays, no allocation, one sin and one cos per step; the floored modulo
 * calls {@code fmod} only once |θ + π| ≥ 2π. Measured with {@code bench/.../EnvStepBench}, N = 4096, one core of the
 * 2-core development machine: about 3.4e7 env-steps/s.
 */
public final class PendulumEnv extends VecEnv {

    /** Gymnasium's reward: swing up and balance. */
    public static final String SWINGUP = "swingup";

    /**
     * Pendulum-v1's constants. The probe box is given in observation space, (cos θ, sin θ, θ̇) ∈ [−1, 1]² × [−8, 8];
     * {@link EnvSpec.ProbeMap#ANGLE_VELOCITY} makes {@link EnvSpec#sampleProbeStates} draw θ uniform in [−π, π] and
     * θ̇ uniform in [−8, 8] (SPEC.md section 2: "uniform in angle and velocity") and observe them, so probe states lie
     * on the circle as real observations do.
     */
    public static final EnvSpec SPEC = new EnvSpec("Pendulum-v1", "pendulum", 3, 1, -2f, 2f, 200,
            new double[] {-1, -1, -8}, new double[] {1, 1, 8}, List.of(SWINGUP), 2f, EnvSpec.ProbeMap.ANGLE_VELOCITY);

    private static final double MAX_SPEED = 8, DT = 0.05, TWO_PI = 2 * Math.PI;
    private static final float MAX_TORQUE = 2f, TORQUE_COST_F = 0.001f;

    private final double[] theta, thetaDot, sinTheta; // [N] float64 state; sinTheta = sin(theta)

    public PendulumEnv(String task, int n, AutoresetMode mode) {
        super(SPEC, task, n, mode);
        theta = new double[n];
        thetaDot = new double[n];
        sinTheta = new double[n];
    }

    /** Gymnasium's {@code reset}: {@code uniform(low=[-π, -1], high=[π, 1])}, θ drawn first. */
    @Override
    protected void resetInstance(int i, NumpyRandom rng) {
        double th = rng.uniform(-Math.PI, Math.PI);
        double thDot = rng.uniform(-1, 1);
        theta[i] = th;
        thetaDot[i] = thDot;
        observe(i, th, thDot);
    }

    @Override
    protected void stepInstances(float[] actions) {
        final double[] theta = this.theta, thetaDot = this.thetaDot, sinTheta = this.sinTheta, rewards = this.rewards;
        final boolean[] skip = this.skip, terminated = this.terminated;
        for (int i = 0; i < n; i++) {
            if (skip[i]) continue;
            float u = Math.max(Math.min(actions[i], MAX_TORQUE), -MAX_TORQUE);
            double th = theta[i], thDot = thetaDot[i];
            double an = angleNormalize(th);
            float uu = u * u;
            double costs = an * an + 0.1 * (thDot * thDot) + (TORQUE_COST_F * uu);
            double newThDot = thDot + (15.0 * sinTheta[i] + 3f * u) * DT;
            newThDot = Math.max(Math.min(newThDot, MAX_SPEED), -MAX_SPEED);
            double newTh = th + newThDot * DT;
            theta[i] = newTh;
            thetaDot[i] = newThDot;
            observe(i, newTh, newThDot);
            rewards[i] = -costs;
            terminated[i] = false;
        }
    }

    private void observe(int i, double th, double thDot) {
        double s = Math.sin(th);
        sinTheta[i] = s;
        obs[3 * i] = (float) Math.cos(th);
        obs[3 * i + 1] = (float) s;
        obs[3 * i + 2] = (float) thDot;
    }

    /** {@code ((x + π) % 2π) − π} with numpy's floored {@code %}; {@code fmod} only when x + π is outside (−2π, 2π). */
    static double angleNormalize(double x) {
        double y = x + Math.PI;
        double r = (y > -TWO_PI && y < TWO_PI) ? y : y % TWO_PI; // fmod(y, 2π) = y exactly when |y| < 2π
        if (r < 0) r += TWO_PI;
        return r - Math.PI;
    }

    /** Instance i's Gymnasium state {@code state[0]} (θ, float64). */
    public double theta(int i) { return theta[i]; }

    /** Instance i's Gymnasium state {@code state[1]} (θ̇, float64). */
    public double thetaDot(int i) { return thetaDot[i]; }
}
