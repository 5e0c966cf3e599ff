package policyzip.env;

/**
 * What a {@link VecEnv} does when an instance's episode ends, as in Gymnasium 1.x's vector API.
 */
public enum AutoresetMode {
    /** Gymnasium's default: the step after the end returns the reset observation, reward 0, and ignores its action. */
    NEXT_STEP,
    /** Reset within the ending step: {@code obs} already holds the new episode's observation and {@code finalObs} the last one. */
    SAME_STEP,
    /** No reset: a finished instance is frozen (not stepped, reward 0) until the caller resets it. */
    DISABLED
}
