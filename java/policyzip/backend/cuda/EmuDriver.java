package policyzip.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static policyzip.backend.cuda.DevicePointers.address;
import static policyzip.backend.cuda.DevicePointers.pointer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.driver.CUdeviceptr;

/**
 * {@link Driver} over the CPU emulator of the CUDA kernels ({@link EmuLibrary}): the kernels of {@code cuda/} compiled
 * with g++, run on the calling CPU thread with blocks one after another and the threads of a block as fibers. A
 * correctness check of the kernels and of {@link CudaBackend}'s launch logic, not a GPU: no GPU timing (a profile
 * records the emulator's own wall time per launch), no GPU memory model (cuda/README.md, "The CUDA emulator").
 *
 * <p>Device memory is host memory with guard zones, so a device pointer is a host address ({@code new
 * CUdeviceptr().withByteOffset(address)}); copies are checked against the live allocations first, then made here.
 * Launches are synchronous: a failure (a divergent barrier, a write outside a buffer, ...) comes back from the launch
 * that caused it. Modules are not loaded (the fatbin images are ignored), but every kernel a module is expected to
 * hold must be in the library.
 */
final class EmuDriver implements Driver {
    private final EmuLibrary lib;
    private final EmuSchedule schedule;
    private final Set<String> loaded = ConcurrentHashMap.newKeySet();
    /** Null unless profiling: then every completed launch's wall time is added. */
    private KernelProfile profile;

    EmuDriver(EmuLibrary lib) {
        this(lib, EmuSchedule.configured());
    }

    EmuDriver(EmuLibrary lib, EmuSchedule schedule) {
        this.lib = lib;
        this.schedule = schedule;
    }

    EmuLibrary library() { return lib; }

    @Override public String kind() { return "cuda-emu"; }

    @Override public String describe() {
        return "CPU emulator of the CUDA kernels (" + lib.file + ", " + lib.kernels().size() + " kernels compiled with g++; blocks one "
                + "after another, threads as fibers on one CPU thread" + (schedule.equals(EmuSchedule.FORWARD) ? "" : ", in " + schedule + " order")
                + "): checks the kernels' logic, not a GPU and no timing";
    }

    @Override public double peakGflops() { return 0; }
    @Override public void enter() {}

    @Override public CUdeviceptr alloc(long bytes, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(EmuLibrary.ERR);
            long p = (long) lib.alloc.invokeExact(bytes, a.allocateFrom(what), err, EmuLibrary.ERR);
            if (p == 0) throw new IllegalStateException("CUDA emulator: " + err.getString(0));
            return pointer(p);
        } catch (Throwable t) {
            throw EmuLibrary.rethrow(t);
        }
    }

    @Override public void free(CUdeviceptr p) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(EmuLibrary.ERR);
            int rc = (int) lib.free.invokeExact(address(p), err, EmuLibrary.ERR);
            if (rc != 0) throw new IllegalStateException("CUDA emulator: " + err.getString(0));
        } catch (Throwable t) {
            throw EmuLibrary.rethrow(t);
        }
    }

    @Override public void memsetD32(CUdeviceptr p, int value, long count) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(EmuLibrary.ERR);
            int rc = (int) lib.memsetD32.invokeExact(address(p), value, count, err, EmuLibrary.ERR);
            if (rc != 0) throw new IllegalStateException("CUDA emulator: " + err.getString(0));
        } catch (Throwable t) {
            throw EmuLibrary.rethrow(t);
        }
    }

    /** The device range [p, p + bytes) as a segment, after the emulator checked it lies in one live allocation. */
    private MemorySegment range(CUdeviceptr p, long bytes, String what) {
        long addr = address(p);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(EmuLibrary.ERR);
            int rc = (int) lib.check.invokeExact(addr, bytes, a.allocateFrom(what), err, EmuLibrary.ERR);
            if (rc != 0) throw new IllegalStateException("CUDA emulator: " + err.getString(0));
        } catch (Throwable t) {
            throw EmuLibrary.rethrow(t);
        }
        return MemorySegment.ofAddress(addr).reinterpret(bytes);
    }

    @Override public void upload(CUdeviceptr dst, float[] src, int off, int n) {
        MemorySegment.copy(src, off, range(dst, (long) n * Float.BYTES, "cuMemcpyHtoD"), JAVA_FLOAT, 0, n);
    }

    @Override public void upload(CUdeviceptr dst, int[] src) {
        MemorySegment.copy(src, 0, range(dst, (long) src.length * Integer.BYTES, "cuMemcpyHtoD"), JAVA_INT, 0, src.length);
    }

    @Override public void upload(CUdeviceptr dst, long[] src) {
        MemorySegment.copy(src, 0, range(dst, (long) src.length * Long.BYTES, "cuMemcpyHtoD"), JAVA_LONG, 0, src.length);
    }

    @Override public void download(float[] dst, int off, int n, CUdeviceptr src) {
        MemorySegment.copy(range(src, (long) n * Float.BYTES, "cuMemcpyDtoH"), JAVA_FLOAT, 0, dst, off, n);
    }

    @Override public void download(double[] dst, CUdeviceptr src) {
        MemorySegment.copy(range(src, (long) dst.length * Double.BYTES, "cuMemcpyDtoH"), JAVA_DOUBLE, 0, dst, 0, dst.length);
    }

    @Override public List<String> loadModule(String module, byte[] image, List<String> kernels, boolean strict) {
        List<String> missing = new java.util.ArrayList<>();
        for (String k : kernels) {
            if (lib.kernelInfo(k) == null) {
                if (!strict) {
                    missing.add(k);
                    continue;
                }
                throw new IllegalStateException("the CUDA emulator " + lib.file + " has no kernel " + k + " (module " + module
                        + "): built from other cuda/ sources; " + EmuLibrary.SETUP);
            }
            loaded.add(k);
        }
        return missing;
    }

    @Override public void launch(String kernel, int gx, int gy, int gz, int bx, int by, int bz, Object[] args, boolean sync) {
        if (!loaded.contains(kernel)) throw new IllegalStateException("kernel " + kernel + " is not in the loaded modules");
        call(kernel, () -> run(kernel, gx, gy, gz, bx, by, bz, args), sync);
    }

    /** One emulated launch, synchronous; a failure of the kernel is a {@link Failure} with the emulator's reason. */
    private void run(String kernel, int gx, int gy, int gz, int bx, int by, int bz, Object[] args) {
        int rc;
        String reason;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment argv = a.allocate(ADDRESS, Math.max(1, args.length));
            MemorySegment sizes = a.allocate(JAVA_LONG, Math.max(1, args.length));
            for (int i = 0; i < args.length; i++) {
                MemorySegment v = switch (args[i]) {
                    case CUdeviceptr p -> a.allocateFrom(JAVA_LONG, address(p));
                    case Integer x -> a.allocateFrom(JAVA_INT, x);
                    case Long x -> a.allocateFrom(JAVA_LONG, x);
                    case Float x -> a.allocateFrom(JAVA_FLOAT, x);
                    default -> throw new IllegalArgumentException(kernel + ": unsupported argument " + args[i]);
                };
                argv.setAtIndex(ADDRESS, i, v);
                sizes.setAtIndex(JAVA_LONG, i, v.byteSize());
            }
            MemorySegment dims = a.allocateFrom(JAVA_LONG, gx, gy, gz, bx, by, bz, 0);
            MemorySegment err = a.allocate(EmuLibrary.ERR);
            rc = (int) lib.launch.invokeExact(a.allocateFrom(kernel), dims, argv, sizes, args.length, schedule.order().ordinal(),
                    schedule.seed(), err, EmuLibrary.ERR);
            reason = rc == 0 ? null : err.getString(0);
        } catch (Throwable t) {
            throw EmuLibrary.rethrow(t);
        }
        if (rc != 0) throw new Failure("emulator: " + reason, null);
    }

    /** Runs op (synchronous here, so {@code sync} changes nothing), adding its wall time to the profile when there is one. */
    @Override public void call(String name, Runnable op, boolean sync) {
        long t0 = profile == null ? 0 : System.nanoTime();
        op.run();
        if (profile != null) profile.add(name, System.nanoTime() - t0);
    }

    /** Wall time of each launch (System.nanoTime around the emulated kernel, argument marshalling included). */
    @Override public KernelProfile startProfile() {
        profile = new KernelProfile("emulator wall time per launch on the CPU, not GPU time");
        return profile;
    }

    @Override public void synchronize() {}   // launches are synchronous
    @Override public void close() {}
}
