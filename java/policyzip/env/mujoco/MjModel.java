package policyzip.env.mujoco;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A compiled MuJoCo model ({@code mjModel}), loaded from an XML file and shared read-only by every {@link MjData} made
 * from it. Held for the JVM's lifetime by {@link MujocoLibrary#model} (one per env kind, a few hundred KB).
 */
public final class MjModel {
    private static final int MJOBJ_BODY = 1;

    final MujocoLibrary lib;
    final MemorySegment ptr;
    private final Path file;
    private final int nq, nv, nu, na, nbody;
    private final double timestep;

    private MjModel(MujocoLibrary lib, MemorySegment ptr, Path file) {
        this.lib = lib;
        this.ptr = ptr;
        this.file = file;
        MujocoLibrary.Offsets o = lib.offsets;
        MemorySegment m = ptr.reinterpret(o.timestep() + 8);
        nq = m.get(JAVA_INT, o.nq());
        nv = m.get(JAVA_INT, o.nv());
        nu = m.get(JAVA_INT, o.nu());
        na = m.get(JAVA_INT, o.na());
        nbody = m.get(JAVA_INT, o.nbody());
        timestep = m.get(JAVA_DOUBLE, o.timestep());
    }

    static MjModel load(MujocoLibrary lib, Path xml) {
        if (!Files.isRegularFile(xml)) throw new MujocoUnavailableException("model file " + xml + " is missing; " + MujocoLibrary.SETUP);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment error = a.allocate(1000);
            MemorySegment p = (MemorySegment) lib.loadXML.invokeExact(a.allocateFrom(xml.toString()), MemorySegment.NULL, error, 1000);
            if (p.equals(MemorySegment.NULL)) {
                throw new MujocoUnavailableException("MuJoCo cannot load " + xml + ": " + error.getString(0).strip().replaceAll("\\s*\\n\\s*", "; "));
            }
            return new MjModel(lib, p, xml);
        } catch (MujocoUnavailableException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mj_loadXML failed on " + xml, t);
        }
    }

    public int nq() { return nq; }
    public int nv() { return nv; }
    public int nu() { return nu; }
    public int na() { return na; }
    public int nbody() { return nbody; }
    /** {@code opt.timestep}, seconds per {@code mj_step}. */
    public double timestep() { return timestep; }
    public Path file() { return file; }

    /** The id of body {@code name}; throws if the model has none. */
    public int bodyId(String name) {
        try (Arena a = Arena.ofConfined()) {
            int id = (int) lib.name2id.invokeExact(ptr, MJOBJ_BODY, a.allocateFrom(name));
            if (id < 0) throw new IllegalArgumentException("model " + file.getFileName() + " has no body '" + name + "'");
            return id;
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("mj_name2id failed", t);
        }
    }

    /** A fresh {@code mjData} for this model (close it). */
    public MjData makeData() {
        return new MjData(this);
    }

    @Override public String toString() {
        return "mjModel " + file.getFileName() + " (nq " + nq + ", nv " + nv + ", nu " + nu + ", timestep " + timestep + ")";
    }
}
