package policyzip.env.mujoco;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The MuJoCo C library bound through {@code java.lang.foreign} (no JNI, no C shim): the dozen functions the
 * environments need, the struct-offset table generated for the library's version, and the model XMLs.
 *
 * <p><b>Where it comes from.</b> {@code native-build/mujoco.sh} puts MuJoCo 3.14.0's {@code libmujoco.so.3.14.0},
 * its headers, Gymnasium 1.3.0's model XMLs and {@code offsets-<mj_version>.properties} (made by an {@code offsetof}
 * program compiled against those headers) into one folder, {@code native/mujoco} in the project. That folder is
 * found through, in order: the system property {@code policyzip.mujoco.dir}, the environment variable
 * {@code POLICYZIP_MUJOCO_DIR}, {@code native/mujoco} beside the folder holding the running jar (the launcher's
 * {@code target/policyzip.jar}), and {@code native/mujoco} under the working directory.
 *
 * <p><b>Versions.</b> Struct layouts change between MuJoCo versions ({@code mjData.qpos} is at byte 160688 in 3.14.0,
 * 40376 in 2.2.2), so the library's {@code mj_version()} must have a table in the folder; otherwise the library is
 * refused with one line saying so. Only a table made from the same headers is trusted.
 *
 * <p>{@link #get()} loads once per JVM and is thread-safe; failures are remembered and reported with the same one
 * line each time ({@link MujocoUnavailableException}). Models are loaded once per XML and shared read-only
 * ({@link #model}); MuJoCo allows any number of threads to step their own {@code mjData} on one {@code mjModel}.
 *
 * <p>Errors inside MuJoCo's C code call its {@code mju_error}, which by default prints and exits the process; the
 * functions bound here only raise one on allocation failure (out of memory in {@code mj_makeData}).
 */
public final class MujocoLibrary {

    /** The version this project's envs and parity fixtures are made for (Gymnasium 1.3.0's v5 envs). */
    public static final String EXPECTED_VERSION = "3.14.0";
    static final String SETUP = "run native-build/mujoco.sh (downloads MuJoCo " + EXPECTED_VERSION
            + " and Gymnasium 1.3.0's models into native/mujoco)";

    private static volatile Object loaded; // MujocoLibrary or MujocoUnavailableException

    final Path dir;
    final Path libraryFile;
    final Offsets offsets;
    final String versionString;
    final int version;
    final MethodHandle loadXML, makeData, deleteData, deleteModel, resetData, forward, step, name2id;
    private final ConcurrentHashMap<String, MjModel> models = new ConcurrentHashMap<>();

    private MujocoLibrary(Path dir) {
        this.dir = dir;
        Path lib = findLibrary(dir);
        this.libraryFile = lib;
        Linker linker = Linker.nativeLinker();
        SymbolLookup symbols;
        try {
            symbols = SymbolLookup.libraryLookup(lib, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new MujocoUnavailableException("cannot load " + lib + " (" + e.getMessage() + "); " + SETUP);
        } catch (IllegalCallerException e) {
            throw new MujocoUnavailableException("native access is disabled: run java with --enable-native-access=ALL-UNNAMED (the launcher does)");
        }
        try {
            MethodHandle mjVersion = linker.downcallHandle(find(symbols, "mj_version"), FunctionDescriptor.of(JAVA_INT));
            MethodHandle mjVersionString = linker.downcallHandle(find(symbols, "mj_versionString"), FunctionDescriptor.of(ADDRESS));
            this.version = (int) mjVersion.invokeExact();
            this.versionString = ((MemorySegment) mjVersionString.invokeExact()).reinterpret(64).getString(0);
        } catch (MujocoUnavailableException e) {
            throw e;
        } catch (Throwable t) {
            throw new MujocoUnavailableException("cannot call mj_version in " + lib + ": " + t);
        }
        this.offsets = Offsets.load(dir, version, versionString);
        loadXML = linker.downcallHandle(find(symbols, "mj_loadXML"), FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        makeData = linker.downcallHandle(find(symbols, "mj_makeData"), FunctionDescriptor.of(ADDRESS, ADDRESS));
        deleteData = linker.downcallHandle(find(symbols, "mj_deleteData"), FunctionDescriptor.ofVoid(ADDRESS));
        deleteModel = linker.downcallHandle(find(symbols, "mj_deleteModel"), FunctionDescriptor.ofVoid(ADDRESS));
        resetData = linker.downcallHandle(find(symbols, "mj_resetData"), FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        forward = linker.downcallHandle(find(symbols, "mj_forward"), FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        step = linker.downcallHandle(find(symbols, "mj_step"), FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        name2id = linker.downcallHandle(find(symbols, "mj_name2id"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    }

    /** The library, loaded on first use; throws {@link MujocoUnavailableException} with one line when it cannot be. */
    public static MujocoLibrary get() {
        Object l = loaded;
        if (l == null) {
            synchronized (MujocoLibrary.class) {
                l = loaded;
                if (l == null) {
                    try {
                        l = load(locate());
                    } catch (MujocoUnavailableException e) {
                        l = e;
                    }
                    loaded = l;
                }
            }
        }
        if (l instanceof MujocoUnavailableException e) throw new MujocoUnavailableException(e.getMessage());
        return (MujocoLibrary) l;
    }

    /** Loads the library in folder {@code dir} (a fresh binding; {@link #get()} is the one to use). */
    static MujocoLibrary load(Path dir) {
        return new MujocoLibrary(dir);
    }

    /** One line on the library in use or why there is none (for {@code policyzip info}). */
    public static String describe() {
        try {
            MujocoLibrary m = get();
            String note = EXPECTED_VERSION.equals(m.versionString) ? "" : " (not " + EXPECTED_VERSION + ": trajectories will not match Gymnasium's v5 envs exactly)";
            return "MuJoCo " + m.versionString + " (mj_version " + m.version + "), " + m.libraryFile + note;
        } catch (MujocoUnavailableException e) {
            return "none: " + e.getMessage();
        }
    }

    public String versionString() { return versionString; }
    public int version() { return version; }
    public Path libraryFile() { return libraryFile; }

    /** Model {@code xmlName} (e.g. {@code "hopper.xml"}) from the folder's assets, loaded once and shared. */
    public MjModel model(String xmlName) {
        return models.computeIfAbsent(xmlName, n -> MjModel.load(this, dir.resolve("assets").resolve(n)));
    }

    private static MemorySegment find(SymbolLookup symbols, String name) {
        return symbols.find(name).orElseThrow(() -> new MujocoUnavailableException("the MuJoCo library has no function " + name + "; " + SETUP));
    }

    private static Path findLibrary(Path dir) {
        Path libDir = dir.resolve("lib");
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(libDir)) {
            try (var s = Files.list(libDir)) {
                s.filter(p -> p.getFileName().toString().startsWith("libmujoco.so")).sorted().forEach(found::add);
            } catch (IOException e) {
                throw new MujocoUnavailableException("cannot list " + libDir + ": " + e.getMessage());
            }
        }
        if (found.isEmpty()) throw new MujocoUnavailableException("no libmujoco.so in " + libDir + "; " + SETUP);
        return found.getFirst();
    }

    /** The MuJoCo folder (see the class comment for the search order). */
    static Path locate() {
        List<Path> tried = new ArrayList<>();
        String prop = System.getProperty("policyzip.mujoco.dir");
        if (prop != null && !prop.isBlank()) return checked(Path.of(prop), "system property policyzip.mujoco.dir");
        String env = System.getenv("POLICYZIP_MUJOCO_DIR");
        if (env != null && !env.isBlank()) return checked(Path.of(env), "POLICYZIP_MUJOCO_DIR");
        try {
            var src = MujocoLibrary.class.getProtectionDomain().getCodeSource();
            if (src != null) {
                Path jar = Path.of(src.getLocation().toURI());
                // target/policyzip.jar or target/classes: the project folder is two levels up.
                Path project = jar.getParent() == null ? null : jar.getParent().getParent();
                if (project != null) {
                    Path p = project.resolve("native/mujoco");
                    if (Files.isDirectory(p)) return p;
                    tried.add(p);
                }
            }
        } catch (URISyntaxException | SecurityException | java.nio.file.InvalidPathException ignored) {
            // not loaded from a file: fall through to the working directory
        }
        Path cwd = Path.of("native/mujoco").toAbsolutePath();
        if (Files.isDirectory(cwd)) return cwd;
        tried.add(cwd);
        throw new MujocoUnavailableException("MuJoCo is not set up (looked in " + String.join(", ", tried.stream().map(Path::toString).toList()) + "); " + SETUP);
    }

    private static Path checked(Path p, String source) {
        if (!Files.isDirectory(p)) throw new MujocoUnavailableException(source + " names " + p + ", which is not a folder; " + SETUP);
        return p;
    }

    /** The generated struct-offset table for one MuJoCo version. */
    record Offsets(int version, long nq, long nv, long nu, long na, long nbody, long timestep,
                   long time, long qpos, long qvel, long act, long ctrl, long qaccWarmstart, long xpos) {

        static Offsets load(Path dir, int version, String versionString) {
            Path f = dir.resolve("offsets-" + version + ".properties");
            if (!Files.isRegularFile(f)) {
                List<String> known = new ArrayList<>();
                try (var s = Files.list(dir)) {
                    s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("offsets-") && n.endsWith(".properties"))
                            .map(n -> n.substring(8, n.length() - 11)).sorted().forEach(known::add);
                } catch (IOException ignored) {
                    // reported below as "none"
                }
                throw new MujocoUnavailableException("MuJoCo " + versionString + " (mj_version " + version + ") has no struct-offset table in " + dir
                        + " (tables for: " + (known.isEmpty() ? "none" : String.join(", ", known)) + "); " + SETUP);
            }
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(f)) {
                p.load(in);
            } catch (IOException e) {
                throw new MujocoUnavailableException("cannot read " + f + ": " + e.getMessage());
            }
            try {
                if (Integer.parseInt(p.getProperty("version", "-1")) != version) {
                    throw new MujocoUnavailableException(f + " says version " + p.getProperty("version") + " but the library is " + version + "; " + SETUP);
                }
                if (!"8".equals(p.getProperty("sizeof.mjtNum"))) {
                    throw new MujocoUnavailableException("this MuJoCo build uses " + p.getProperty("sizeof.mjtNum") + "-byte mjtNum; PolicyZip needs double precision (8)");
                }
                return new Offsets(version, get(p, "mjModel.nq"), get(p, "mjModel.nv"), get(p, "mjModel.nu"), get(p, "mjModel.na"),
                        get(p, "mjModel.nbody"), get(p, "mjModel.opt.timestep"), get(p, "mjData.time"), get(p, "mjData.qpos"),
                        get(p, "mjData.qvel"), get(p, "mjData.act"), get(p, "mjData.ctrl"), get(p, "mjData.qacc_warmstart"), get(p, "mjData.xpos"));
            } catch (NumberFormatException e) {
                throw new MujocoUnavailableException(f + " is damaged (" + e.getMessage() + "); regenerate it with native-build/mujoco.sh --force");
            }
        }

        private static long get(Properties p, String key) {
            String v = p.getProperty(key);
            if (v == null) throw new NumberFormatException("no entry " + key);
            return Long.parseLong(v.trim());
        }
    }
}
