package policyzip.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Dataset generation's descriptor step ({@link Workloads} descriptors-medium: 10,000 medium policies per invocation;
 * descriptors-large: 256 large ones): θ regenerated from seeds plus the forward on 256 probe states. Score:
 * descriptors/s. The novelty step is {@link KnnBench}. Run with {@code bench/jmh DatasetBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class DatasetBench {

    @State(Scope.Benchmark)
    public static class Fixture {
        WorkloadSet set;
        Workload medium, large;

        @Setup(Level.Trial) public void setUp() {
            set = new WorkloadSet("descriptors-medium", "descriptors-large");
            medium = set.get(0);
            large = set.get(1);
        }

        @TearDown(Level.Trial) public void tearDown() { set.close(); }
    }

    @Benchmark @OperationsPerInvocation(10_000)
    public void descriptorsMedium(Fixture f) { f.medium.run(); }

    @Benchmark @OperationsPerInvocation(256)
    public void descriptorsLarge(Fixture f) { f.large.run(); }
}
