package policyzip.backend.cuda;

/**
 * The order in which the CUDA emulator runs a launch's blocks and each block's threads ({@code pzemu_launch_ordered} in
 * native-build/cuda-emu/runtime.cpp). A thread always runs until it reaches a barrier or a warp intrinsic or returns;
 * the schedule decides which thread of a phase runs first. {@code forward} is index order, {@code reverse} the
 * opposite, {@code shuffle} a permutation drawn from the seed (threads per block; blocks by an affine permutation of the
 * grid).
 *
 * <p>Correct kernels give the same bits under every schedule. Between forward and reverse every two threads of a block
 * (and every two blocks) run in both orders, so a result that depends on which ran first (a missing barrier, a value
 * another thread overwrites in the same phase, a block reading another block's output) either reads the NaN pattern or
 * changes. This is a race check at the granularity of phases, not of instructions: two threads inside one phase never
 * interleave. Chosen by the system property {@code policyzip.cuda.emu.schedule} or the environment variable
 * {@code POLICYZIP_CUDA_EMU_SCHEDULE}: {@code forward} (the default), {@code reverse}, {@code shuffle} or
 * {@code shuffle:SEED}.
 */
public record EmuSchedule(Order order, long seed) {
    public enum Order { FORWARD, REVERSE, SHUFFLE }

    public static final EmuSchedule FORWARD = new EmuSchedule(Order.FORWARD, 0), REVERSE = new EmuSchedule(Order.REVERSE, 0);

    public static EmuSchedule shuffle(long seed) { return new EmuSchedule(Order.SHUFFLE, seed); }

    /** {@code forward}, {@code reverse}, {@code shuffle} (seed 1) or {@code shuffle:SEED}; anything else is one line saying so. */
    public static EmuSchedule parse(String s) {
        String t = s.strip().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("forward")) return FORWARD;
        if (t.equals("reverse")) return REVERSE;
        if (t.equals("shuffle")) return shuffle(1);
        if (t.startsWith("shuffle:")) {
            try {
                return shuffle(Long.parseLong(t.substring("shuffle:".length())));
            } catch (NumberFormatException e) {
                // fall through to the error
            }
        }
        throw new IllegalArgumentException("emulator schedule '" + s + "': expected forward, reverse, shuffle or shuffle:SEED (a long)");
    }

    /** The schedule the system property or the environment names, else forward; a bad value is one line naming its source. */
    static EmuSchedule configured() {
        String prop = System.getProperty("policyzip.cuda.emu.schedule");
        if (prop != null && !prop.isBlank()) return parse(prop, "system property policyzip.cuda.emu.schedule");
        String env = System.getenv("POLICYZIP_CUDA_EMU_SCHEDULE");
        if (env != null && !env.isBlank()) return parse(env, "POLICYZIP_CUDA_EMU_SCHEDULE");
        return FORWARD;
    }

    private static EmuSchedule parse(String s, String source) {
        try {
            return parse(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(source + ": " + e.getMessage());
        }
    }

    @Override public String toString() {
        return order == Order.SHUFFLE ? "shuffle:" + seed : order.name().toLowerCase(java.util.Locale.ROOT);
    }
}
