package policyzip.env;

import java.util.List;

/**
 * Constants of an environment: Gymnasium id, short name, observation and action widths, the action box, the
 * time limit, the box probe states are drawn from (SPEC.md section 2) and the tasks it supports (SPEC.md
 * section 3; the first is the standard reward).
 *
 * @param policyOutputScale the scale of a policy's tanh output that spans the action box (2 for Pendulum)
 */
public record EnvSpec(String id, String name, int obsDim, int actDim, float actionLow, float actionHigh,
                      int maxEpisodeSteps, double[] probeLow, double[] probeHigh, List<String> tasks,
                      float policyOutputScale) {

    /** The standard task (Gymnasium's own reward). */
    public String defaultTask() { return tasks.get(0); }

    /** Checks that {@code task} exists, or says which do. */
    public String checkTask(String task) {
        if (!tasks.contains(task)) {
            throw new IllegalArgumentException("env " + name + " has no task '" + task + "'; its tasks are " + String.join(", ", tasks));
        }
        return task;
    }
}
