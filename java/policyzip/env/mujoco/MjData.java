package policyzip.env.mujoco;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

/**
 * One simulation state ({@code mjData}) of an {@link MjModel}: positions, velocities, controls and the derived body
 * positions, read and written in place through the library's memory. Owned by the caller, who must {@link #close()}
 * it (MuJoCo frees it then; a second close does nothing, any other use after close throws). Not thread-safe: one
 * thread steps one {@code MjData} at a time, and many threads may step their own ones on the same model.
 */
public final class MjData implements AutoCloseable {
    private final MjModel model;
    private final MujocoLibrary lib;
    private MemorySegment ptr;
    private final MemorySegment qpos, qvel, ctrl, xpos, time;

    MjData(MjModel model) {
        this.model = model;
        this.lib = model.lib;
        MemorySegment p;
        try {
            p = (MemorySegment) lib.makeData.invokeExact(model.ptr);
        } catch (Throwable t) {
            throw new IllegalStateException("mj_makeData failed", t);
        }
        if (p.equals(MemorySegment.NULL)) throw new OutOfMemoryError("mj_makeData returned NULL for " + model);
        ptr = p;
        MujocoLibrary.Offsets o = lib.offsets;
        MemorySegment d = p.reinterpret(Math.max(o.xpos(), Math.max(o.ctrl(), o.qvel())) + 8);
        qpos = array(d, o.qpos(), model.nq());
        qvel = array(d, o.qvel(), model.nv());
        ctrl = array(d, o.ctrl(), model.nu());
        xpos = array(d, o.xpos(), 3L * model.nbody());
        time = d.asSlice(o.time(), 8);
    }

    private static MemorySegment array(MemorySegment d, long offset, long n) {
        return d.get(java.lang.foreign.ValueLayout.ADDRESS, offset).reinterpret(8 * n);
    }

    public MjModel model() { return model; }

    private MemorySegment live() {
        MemorySegment p = ptr;
        if (p == null) throw new IllegalStateException("this mjData was closed");
        return p;
    }

    /** Calls a {@code void f(const mjModel*, mjData*)} function of the library on this state. */
    private void call(java.lang.invoke.MethodHandle f) {
        try {
            f.invokeExact(model.ptr, live());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** {@code mj_step}: advances the state by one {@code timestep}. */
    public void step() {
        call(lib.step);
    }

    /** {@code mj_forward}: recomputes everything derived from the current state (body positions etc.). */
    public void forward() {
        call(lib.forward);
    }

    /** {@code mj_resetData}: back to the model's reference state ({@code qpos0}, zero velocity, zero warm-start). */
    public void reset() {
        call(lib.resetData);
    }

    public double qpos(int i) { live(); return qpos.getAtIndex(JAVA_DOUBLE, i); }
    public void qpos(int i, double v) { live(); qpos.setAtIndex(JAVA_DOUBLE, i, v); }
    public double qvel(int i) { live(); return qvel.getAtIndex(JAVA_DOUBLE, i); }
    public void qvel(int i, double v) { live(); qvel.setAtIndex(JAVA_DOUBLE, i, v); }
    public double ctrl(int i) { live(); return ctrl.getAtIndex(JAVA_DOUBLE, i); }
    public void ctrl(int i, double v) { live(); ctrl.setAtIndex(JAVA_DOUBLE, i, v); }
    /** Coordinate c (0..2) of body {@code body}'s frame origin, as of the last kinematics evaluation. */
    public double xpos(int body, int c) { live(); return xpos.getAtIndex(JAVA_DOUBLE, 3L * body + c); }
    public double time() { live(); return time.get(JAVA_DOUBLE, 0); }

    @Override
    public void close() {
        MemorySegment p = ptr;
        if (p == null) return;
        ptr = null;
        try {
            lib.deleteData.invokeExact(p);
        } catch (Throwable t) {
            throw new IllegalStateException("mj_deleteData failed", t);
        }
    }
}
