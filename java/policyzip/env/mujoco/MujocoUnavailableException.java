package policyzip.env.mujoco;

/** The MuJoCo library cannot be used here; the message is one line that says why and what to do. */
public final class MujocoUnavailableException extends IllegalStateException {
    public MujocoUnavailableException(String message) {
        super(message);
    }
}
