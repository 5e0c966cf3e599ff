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
 * Env steps per second of the classic-control VecEnvs on one thread ({@link Workloads} env-mountaincar and
 * env-pendulum: N = 4096 instances × 100 steps per invocation, random actions, NEXT_STEP autoreset).
 * Run with {@code taskset -c 0 bench/jmh EnvStepBench} for the one-core figure.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class EnvStepBench {

    @State(Scope.Benchmark)
    public static class Fixture {
        Workload mountainCar, pendulum;

        @Setup(Level.Trial) public void setUp() {
            mountainCar = Workloads.create("env-mountaincar", null);
            pendulum = Workloads.create("env-pendulum", null);
            mountainCar.verify();
            pendulum.verify();
        }

        @TearDown(Level.Trial) public void tearDown() {
            mountainCar.close();
            pendulum.close();
        }
    }

    @Benchmark @OperationsPerInvocation(4096 * 100)
    public void mountainCar(Fixture f) { f.mountainCar.run(); }

    @Benchmark @OperationsPerInvocation(4096 * 100)
    public void pendulum(Fixture f) { f.pendulum.run(); }
}
