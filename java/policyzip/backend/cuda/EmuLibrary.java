package policyzip.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CPU emulator of the CUDA kernels, {@code libpzcudaemu.so}, bound through {@code java.lang.foreign}: the C API of
 * {@code native-build/cuda-emu/runtime.cpp} ({@code pzemu_*}: allocations with guard zones, range checks for copies,
 * launches, the kernel table). {@link EmuDriver} puts {@link CudaBackend} on it.
 *
 * <p><b>Where it comes from.</b> {@code native-build/cuda-emu.sh} compiles every {@code cuda/*.cu} with g++ into
 * {@code native/cuda-emu/libpzcudaemu.so} in the project. It is found through, in order: the system property
 * {@code policyzip.cuda.emu.lib}, the environment variable {@code POLICYZIP_CUDA_EMU_LIB} (either names the .so),
 * {@code native/cuda-emu/libpzcudaemu.so} beside the folder holding the running jar (the launcher's
 * {@code target/policyzip.jar}), and the same under the working directory. Each library is loaded once per JVM and
 * stays loaded; its calls are thread-safe (the emulator runs one launch at a time).
 */
final class EmuLibrary {
    static final String FILE = "libpzcudaemu.so";
    static final String SETUP = "run native-build/cuda-emu.sh (compiles cuda/*.cu with g++ into native/cuda-emu)";
    static final int ERR = 1024;

    private static final Map<Path, EmuLibrary> LOADED = new ConcurrentHashMap<>();

    final Path file;
    final MethodHandle version, sources, kernelCount, kernelName, kernelInfo, alloc, free, live, check, memsetD32, launch;

    private EmuLibrary(Path file) {
        this.file = file;
        Linker linker = Linker.nativeLinker();
        SymbolLookup symbols;
        try {
            symbols = SymbolLookup.libraryLookup(file, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("cannot load the CUDA emulator " + file + " (" + CudaBackend.firstLine(e.getMessage()) + "); " + SETUP);
        } catch (IllegalCallerException e) {
            throw new IllegalStateException("native access is disabled: run java with --enable-native-access=ALL-UNNAMED (the launcher does)");
        }
        version = linker.downcallHandle(find(symbols, "pzemu_version"), FunctionDescriptor.of(ADDRESS));
        sources = linker.downcallHandle(find(symbols, "pzemu_sources"), FunctionDescriptor.of(ADDRESS));
        kernelCount = linker.downcallHandle(find(symbols, "pzemu_kernel_count"), FunctionDescriptor.of(JAVA_INT));
        kernelName = linker.downcallHandle(find(symbols, "pzemu_kernel_name"), FunctionDescriptor.of(ADDRESS, JAVA_INT));
        kernelInfo = linker.downcallHandle(find(symbols, "pzemu_kernel_info"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        alloc = linker.downcallHandle(find(symbols, "pzemu_alloc"), FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT));
        free = linker.downcallHandle(find(symbols, "pzemu_free"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT));
        live = linker.downcallHandle(find(symbols, "pzemu_live"), FunctionDescriptor.of(JAVA_INT));
        check = linker.downcallHandle(find(symbols, "pzemu_check"), FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT));
        memsetD32 = linker.downcallHandle(find(symbols, "pzemu_memset_d32"),
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT));
        launch = linker.downcallHandle(find(symbols, "pzemu_launch_ordered"),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT));
    }

    private MemorySegment find(SymbolLookup symbols, String name) {
        return symbols.find(name).orElseThrow(() -> new IllegalStateException(file + " has no function " + name + " (not the CUDA emulator, or an old one); " + SETUP));
    }

    /** The library at its usual place (see the class comment); one line saying where it looked and what to run if none. */
    static EmuLibrary get() {
        return load(locate());
    }

    /** The library in {@code file}, loaded once per JVM. */
    static EmuLibrary load(Path file) {
        Path f = file.toAbsolutePath().normalize();
        EmuLibrary l = LOADED.get(f);
        if (l != null) return l;
        synchronized (LOADED) {
            return LOADED.computeIfAbsent(f, EmuLibrary::new);
        }
    }

    static Path locate() {
        String prop = System.getProperty("policyzip.cuda.emu.lib");
        if (prop != null && !prop.isBlank()) return checked(Path.of(prop), "system property policyzip.cuda.emu.lib");
        String env = System.getenv("POLICYZIP_CUDA_EMU_LIB");
        if (env != null && !env.isBlank()) return checked(Path.of(env), "POLICYZIP_CUDA_EMU_LIB");
        List<Path> tried = new ArrayList<>();
        try {
            var src = EmuLibrary.class.getProtectionDomain().getCodeSource();
            if (src != null) {
                Path jar = Path.of(src.getLocation().toURI());
                // target/policyzip.jar or target/classes: the project folder is two levels up.
                Path project = jar.getParent() == null ? null : jar.getParent().getParent();
                if (project != null) {
                    Path p = project.resolve("native/cuda-emu").resolve(FILE);
                    if (Files.isRegularFile(p)) return p;
                    tried.add(p);
                }
            }
        } catch (URISyntaxException | SecurityException | java.nio.file.InvalidPathException ignored) {
            // not loaded from a file: fall through to the working directory
        }
        Path cwd = Path.of("native/cuda-emu").resolve(FILE).toAbsolutePath();
        if (Files.isRegularFile(cwd)) return cwd;
        if (!tried.contains(cwd)) tried.add(cwd);
        throw new IllegalStateException("the CUDA emulator is not built (no " + String.join(" or ", tried.stream().map(Path::toString).toList()) + "); " + SETUP);
    }

    private static Path checked(Path p, String source) {
        if (!Files.isRegularFile(p)) throw new IllegalStateException(source + " names " + p + ", which is not a file; " + SETUP);
        return p;
    }

    // ---------------------------------------------------------------- calls

    String version() { return string(() -> (MemorySegment) version.invokeExact()); }

    /** The "sha256  path" lines of the files the library was built from (cuda/, native-build/cuda-emu*). */
    String sources() { return string(() -> (MemorySegment) sources.invokeExact()); }

    List<String> kernels() {
        try {
            int n = (int) kernelCount.invokeExact();
            List<String> names = new ArrayList<>(n);
            for (int i = 0; i < n; i++) names.add(((MemorySegment) kernelName.invokeExact(i)).reinterpret(4096).getString(0));
            return names;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {parameters, __launch_bounds__ (0: none), static shared bytes}, or null if the library has no such kernel. */
    long[] kernelInfo(String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG, 3);
            int rc = (int) kernelInfo.invokeExact(a.allocateFrom(name), out);
            return rc == 0 ? out.toArray(JAVA_LONG) : null;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Live device allocations (leak checks). */
    int live() {
        try {
            return (int) live.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private interface Call {
        MemorySegment get() throws Throwable;
    }

    private static String string(Call c) {
        try {
            return c.get().reinterpret(1 << 20).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("CUDA emulator call failed: " + t, t);
    }
}
