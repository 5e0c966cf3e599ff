package policyzip.bench;

/**
 * One named, repeatable unit of work that {@code policyzip bench} and the JMH suites in {@code bench/} both time.
 * Built ready to run by {@link Workloads#create}; {@link #verify()} checks its output against the scalar reference
 * first, so a fast wrong kernel cannot post a number.
 */
public interface Workload extends AutoCloseable {
    /** The name used on the command line and in JMH parameters ("fwd-medium"). */
    String name();

    /** What one operation does, in a line ("B=1024 policies 2-32-32-1 × M=256 shared states"). */
    String description();

    /** The unit of {@link #itemsPerOp()} per second ("evals/s", "env-steps/s"). */
    String unit();

    /** Items (policy-state evaluations, env steps, ...) one {@link #run()} processes. */
    double itemsPerOp();

    /** Floating-point operations of one {@link #run()} (2 per multiply-add), or 0 where FLOP/s is not meaningful. */
    double flopsPerOp();

    /** Runs one operation. */
    void run();

    /** Throws {@link IllegalStateException} when the result differs from the scalar reference. */
    void verify();

    @Override default void close() {}
}
