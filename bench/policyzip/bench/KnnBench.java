package policyzip.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import policyzip.backend.Backend;
import policyzip.backend.Backends;

/**
 * Exact 10-NN squared distances of Q = 20,000 descriptors (D = 256) among themselves, self excluded ({@link Workloads}
 * knn-20k): the novelty score of SPEC.md section 2. The primary score is descriptors per second (ops/s, one op = one
 * query's neighbours); the {@code gflop} secondary score is GFLOP/s (2·Q·P·D per invocation). Setup checks a few
 * queries against a brute-force computation. One invocation takes about 0.5 s on two cores, hence the longer
 * iterations. Run with {@code bench/jmh KnnBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class KnnBench {

    @State(Scope.Benchmark)
    public static class Fixture {
        @Param({"0"}) public int threads;
        Backend backend;
        Workload knn;

        @Setup(Level.Trial) public void setUp() {
            backend = Backends.create("cpu", threads > 0 ? threads : Backends.defaultThreads());
            knn = Workloads.create("knn-20k", backend);
            knn.verify();
        }

        @TearDown(Level.Trial) public void tearDown() {
            knn.close();
            backend.close();
        }
    }

    /** GFLOP done, reported by JMH as a rate next to the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;
    }

    @Benchmark @OperationsPerInvocation(20000)
    public void knn20k(Fixture f, Flops c) {
        f.knn.run();
        c.gflop += f.knn.flopsPerOp() / 1e9;
    }
}
