package policyzip.env;

import java.util.List;
import java.util.Locale;

/**
 * The environments PolicyZip ships, by name: the short name ({@code "mountaincar"}, {@code "hopper"}, ...) or the
 * Gymnasium id ({@code "MountainCarContinuous-v0"}, {@code "Hopper-v5"}, ...), either case-insensitive (SPEC.md
 * section 3, ENVS.md). The classic-control envs are pure Java; Reacher, Hopper, HalfCheetah, InvertedPendulum and
 * Swimmer run on the MuJoCo library ({@link MujocoEnv}), and making one without it set up throws
 * {@link policyzip.env.mujoco.MujocoUnavailableException} with one line saying how to set it up.
 */
public final class Envs {

    private static final List<EnvSpec> SPECS = List.of(MountainCarEnv.SPEC, PendulumEnv.SPEC, ReacherEnv.SPEC, HopperEnv.SPEC,
            HalfCheetahEnv.SPEC, InvertedPendulumEnv.SPEC, SwimmerEnv.SPEC);

    private Envs() {}

    /** Short names of the known envs, in registry order. */
    public static List<String> names() {
        return SPECS.stream().map(EnvSpec::name).toList();
    }

    /** The spec of env {@code name} (short name or Gymnasium id, any case). */
    public static EnvSpec spec(String name) {
        for (EnvSpec s : SPECS) {
            if (s.name().equalsIgnoreCase(name) || s.id().equalsIgnoreCase(name)) return s;
        }
        throw new IllegalArgumentException("unknown env '" + name + "'; known envs are "
                + String.join(", ", SPECS.stream().map(s -> s.name() + " (" + s.id() + ")").toList()));
    }

    /**
     * Whether one trajectory serves every task of env {@code name} ({@link VecEnv#ALL_TASKS}): true where tasks only
     * change rewards and terminations; false for Reacher, whose task moves the target the policy observes.
     */
    public static boolean allTasksInOnePass(String name) {
        return !spec(name).name().equals("reacher");
    }

    /** N instances of env {@code name} under {@code task} (null: the standard task), not yet reset. */
    public static VecEnv make(String name, String task, int n, AutoresetMode mode) {
        EnvSpec spec = spec(name);
        if (mode == null) throw new IllegalArgumentException("autoreset mode is null; pass one of NEXT_STEP, SAME_STEP, DISABLED");
        String t = task == null ? spec.defaultTask() : task.toLowerCase(Locale.ROOT);
        return switch (spec.name()) {
            case "mountaincar" -> new MountainCarEnv(t, n, mode);
            case "pendulum" -> new PendulumEnv(t, n, mode);
            case "reacher" -> new ReacherEnv(t, n, mode);
            case "hopper" -> new HopperEnv(t, n, mode);
            case "halfcheetah" -> new HalfCheetahEnv(t, n, mode);
            case "invertedpendulum" -> new InvertedPendulumEnv(t, n, mode);
            case "swimmer" -> new SwimmerEnv(t, n, mode);
            default -> throw new AssertionError("registered env without a constructor: " + spec.name());
        };
    }
}
