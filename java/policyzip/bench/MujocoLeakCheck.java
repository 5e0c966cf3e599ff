package policyzip.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import policyzip.env.AutoresetMode;
import policyzip.env.Envs;
import policyzip.env.VecEnv;

/**
 * Native-memory leak check for the MuJoCo binding: makes, steps and closes envs over and over (10^6 env steps by
 * default, every {@code mjData} allocated and freed many times, resets included) and prints the process's resident
 * set size before and after. Run from the project folder:
 * {@code java --enable-native-access=ALL-UNNAMED -cp target/policyzip.jar policyzip.bench.MujocoLeakCheck [env] [steps]}.
 */
public final class MujocoLeakCheck {
    private MujocoLeakCheck() {}

    public static void main(String[] args) throws IOException {
        String env = args.length > 0 ? args[0] : "hopper";
        long total = args.length > 1 ? Long.parseLong(args[1]) : 1_000_000;
        int n = 16, steps = 1000;
        float[] actions = new float[n * Envs.spec(env).actDim()];
        long done = 0, rounds = 0, baseline = -1;
        java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
        while (done < total) {
            try (VecEnv e = Envs.make(env, null, n, AutoresetMode.NEXT_STEP)) {
                e.reset(rounds);
                for (int t = 0; t < steps; t++) {
                    for (int i = 0; i < actions.length; i++) actions[i] = (float) (2 * rng.nextDouble() - 1);
                    e.step(actions);
                }
            }
            done += (long) n * steps;
            if (++rounds == 3) { // after warm-up: classes loaded, heap sized
                System.gc();
                baseline = rssKiB();
                System.out.printf("after %,d env steps (warm-up): RSS %,d KiB%n", done, baseline);
            }
        }
        System.gc();
        long end = rssKiB();
        System.out.printf("after %,d env steps (%d envs of %d instances made and closed): RSS %,d KiB (%+,d KiB since warm-up)%n",
                done, rounds, n, end, end - baseline);
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return -1;
    }
}
