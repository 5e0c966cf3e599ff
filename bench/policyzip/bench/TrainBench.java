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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Behavioural autoencoder training steps per second ({@link Workloads} ae-medium: B = 128, K = 2; ae-large: B = 64,
 * K = 1; M = 256, encoder and decoder 256-256), both threads. Policy-state pairs/s = steps/s × B × M.
 * Run with {@code bench/jmh TrainBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TrainBench {

    @State(Scope.Benchmark)
    public static class Fixture {
        WorkloadSet set;
        Workload medium, large;

        @Setup(Level.Trial) public void setUp() {
            set = new WorkloadSet("ae-medium", "ae-large");
            medium = set.get(0);
            large = set.get(1);
        }

        @TearDown(Level.Trial) public void tearDown() { set.close(); }
    }

    @Benchmark public void aeMedium(Fixture f) { f.medium.run(); }

    @Benchmark public void aeLarge(Fixture f) { f.large.run(); }
}
