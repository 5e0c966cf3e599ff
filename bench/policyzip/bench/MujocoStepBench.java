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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import policyzip.backend.cpu.CpuBackend;

/**
 * MuJoCo env steps per second against the bare physics of the same run ({@link Workloads} {@code env-<env>} and
 * {@code mjstep-<env>}, {@link MujocoSteps}: N = 32 instances × 64 steps per invocation, random actions, NEXT_STEP
 * autoreset), on {@code threads} threads. Needs {@code native-build/mujoco.sh}. One core:
 * {@code taskset -c 0 bench/jmh -p threads=1 MujocoStepBench}; two: {@code bench/jmh -p threads=2 MujocoStepBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class MujocoStepBench {

    @Param({"reacher", "hopper", "halfcheetah", "invertedpendulum", "swimmer"})
    public String env;

    @Param({"env", "mjstep"})
    public String kind;

    @Param({"1"})
    public int threads;

    private Workload w;

    @Setup(Level.Trial) public void setUp() {
        try (CpuBackend threadCount = new CpuBackend(threads)) {
            w = Workloads.create(kind + "-" + env, threadCount);
        }
        w.verify();
    }

    @TearDown(Level.Trial) public void tearDown() { w.close(); }

    @Benchmark @OperationsPerInvocation(32 * 64)
    public void step() { w.run(); }
}
