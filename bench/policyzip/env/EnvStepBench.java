package policyzip.env;

import java.util.Arrays;

/**
 * Throughput of {@link VecEnv#step} for the classic-control envs, run by hand (no JMH: a few seconds in all):
 * {@code java -cp target/classes:target/test-classes policyzip.env.EnvStepBench [env] [task] [N] [reps]}, ideally
 * pinned to one core ({@code taskset -c 0}). Prints env-steps/s (one instance advancing one step counts one) for
 * each timed rep and their median. NEXT_STEP autoreset, so episode ends and resets are part of the cost; actions
 * cycle through 16 precomputed [N] rows, uniform in the action box. Also prints the bytes the timed steps allocated.
 */
public final class EnvStepBench {
    private EnvStepBench() {}

    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "mountaincar";
        String task = args.length > 1 ? args[1] : null;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        VecEnv env = Envs.make(name, task, n, AutoresetMode.NEXT_STEP);
        EnvSpec spec = env.spec();
        int a = spec.actDim();
        float[][] actions = new float[16][n * a];
        NumpyRandom rng = new NumpyRandom(42);
        for (float[] row : actions)
            for (int k = 0; k < row.length; k++) row[k] = (float) rng.uniform(spec.actionLow(), spec.actionHigh());
        env.reset(0);
        double sink = 0;
        long step = 0;
        // Warm-up: about 1e8 instance-steps' worth of compilation and caches (short for large N).
        long warm = Math.max(2000, 20_000_000L / n);
        for (long t = 0; t < warm; t++) env.step(actions[(int) (step++ & 15)]);
        double[] rates = new double[reps];
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().threadId(), allocated = 0, counted = 0;
        for (int r = 0; r < reps; r++) {
            long steps = Math.max(1000, 30_000_000L / n);
            long b0 = mx.getThreadAllocatedBytes(self);
            long t0 = System.nanoTime();
            for (long t = 0; t < steps; t++) {
                env.step(actions[(int) (step++ & 15)]);
                sink += env.rewards()[(int) (t % n)];
            }
            long dt = System.nanoTime() - t0;
            allocated += mx.getThreadAllocatedBytes(self) - b0;
            counted += steps * n;
            rates[r] = (double) steps * n / (dt * 1e-9);
            System.out.printf("%s[%s] N=%d rep %d: %.3g env-steps/s (%.2f ns/env-step)%n", spec.id(), env.task(), n, r, rates[r], 1e9 / rates[r]);
        }
        Arrays.sort(rates);
        System.out.printf("%s[%s] N=%d median %.3g env-steps/s (%.2f ns/env-step), %.3g bytes allocated/env-step  [checksum %.6g]%n",
                spec.id(), env.task(), n, rates[reps / 2], 1e9 / rates[reps / 2], (double) allocated / counted, sink);
    }
}
