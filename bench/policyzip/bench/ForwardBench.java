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
 * Batched policy forward on 256 shared MountainCar states ({@link Workloads} fwd-small, fwd-medium, fwd-large). The
 * primary score is policy-state evaluations per second (ops/s, one op = one evaluation); the {@code gflop} secondary
 * score is GFLOP/s (2 per multiply-add). Setup checks the output against the scalar reference.
 * Run with {@code bench/jmh ForwardBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ForwardBench {

    @State(Scope.Benchmark)
    public static class Fixture {
        @Param({"0"}) public int threads;
        /** cpu, or cuda on a GPU machine: {@code bench/jmh ForwardBench -p backend=cuda}. */
        @Param({"cpu"}) public String backend;
        Backend be;
        Workload small, medium, large;

        @Setup(Level.Trial) public void setUp() {
            be = Backends.create(backend, threads > 0 ? threads : Backends.defaultThreads());
            small = Workloads.create("fwd-small", be);
            medium = Workloads.create("fwd-medium", be);
            large = Workloads.create("fwd-large", be);
            small.verify();
            medium.verify();
            large.verify();
        }

        @TearDown(Level.Trial) public void tearDown() {
            small.close();
            medium.close();
            large.close();
            be.close();
        }
    }

    /** GFLOP done, reported by JMH as a rate next to the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Flops {
        public double gflop;
    }

    @Benchmark @OperationsPerInvocation(4096 * 256)
    public void fwdSmall(Fixture f, Flops c) {
        f.small.run();
        c.gflop += f.small.flopsPerOp() / 1e9;
    }

    @Benchmark @OperationsPerInvocation(1024 * 256)
    public void fwdMedium(Fixture f, Flops c) {
        f.medium.run();
        c.gflop += f.medium.flopsPerOp() / 1e9;
    }

    @Benchmark @OperationsPerInvocation(64 * 256)
    public void fwdLarge(Fixture f, Flops c) {
        f.large.run();
        c.gflop += f.large.flopsPerOp() / 1e9;
    }
}
