package policyzip.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import policyzip.embed.LatentPolicies;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

/**
 * Latency of the embedding API on one thread ({@link LatentPolicies}): decode + act for one state, and act alone with
 * an already decoded θ, for medium (K = 2 → 256 → 256 → 1,185) and large (K = 1 → 256 → 256 → 121,801) spaces.
 * SampleTime mode reports the median and p99 per call. Weights are untrained (latency does not depend on them).
 * Run with {@code bench/jmh EmbedBench}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class EmbedBench {

    @State(Scope.Thread)
    public static class Fixture {
        LatentPolicies medium, large;
        float[] zMedium = {0.3f, -0.7f}, zLarge = {0.4f}, obs = {-0.5f, 0.01f}, action = new float[1];
        float[] thetaMedium, thetaLarge;

        @Setup(Level.Trial) public void setUp() {
            int[] h = {256, 256};
            medium = LatentPolicies.untrained(MlpSpec.of("medium", 2, 1, Activation.RELU, 1f), 2, h, h, 1);
            large = LatentPolicies.untrained(MlpSpec.of("large", 2, 1, Activation.RELU, 1f), 1, h, h, 2);
            thetaMedium = medium.decode(zMedium);
            thetaLarge = large.decode(zLarge);
        }
    }

    @Benchmark public void decodeActMedium(Fixture f, Blackhole bh) {
        f.medium.actLatent(f.zMedium, f.obs, f.action);
        bh.consume(f.action[0]);
    }

    @Benchmark public void actMedium(Fixture f, Blackhole bh) {
        f.medium.act(f.thetaMedium, f.obs, f.action);
        bh.consume(f.action[0]);
    }

    @Benchmark public void decodeActLarge(Fixture f, Blackhole bh) {
        f.large.actLatent(f.zLarge, f.obs, f.action);
        bh.consume(f.action[0]);
    }

    @Benchmark public void actLarge(Fixture f, Blackhole bh) {
        f.large.act(f.thetaLarge, f.obs, f.action);
        bh.consume(f.action[0]);
    }
}
