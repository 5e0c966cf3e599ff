package policyzip.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * {@link Driver} over JCuda's driver API: one primary context on device 0, JCuda's exceptions enabled so that every
 * driver call is checked. The only class that calls {@code JCudaDriver}, so the emulator never loads JCuda's natives.
 *
 * <p>Profiling ({@link #startProfile()}): a launch is bracketed by two CUDA events recorded on the null stream, the
 * stream it runs on, so their elapsed time is the kernel's GPU time (plus the launch gap between the two records). The
 * pairs wait in {@link #pending} and are read back in batches of {@link #PENDING_MAX} and at close, then return to a
 * pool, so a long run holds at most 2 × PENDING_MAX events. A batch waits for the GPU to finish its last launch, which
 * costs the host a sync every PENDING_MAX launches while profiling.
 */
final class GpuDriver implements Driver {
    /** Launches whose events are read back together. */
    static final int PENDING_MAX = 1024;

    private final CUdevice device;
    private final CUcontext context;
    private final List<CUmodule> modules = new ArrayList<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final String description;
    private final double peakGflops;
    /** Null unless profiling. */
    private KernelProfile profile;
    /** Created events not in use. */
    private final ArrayDeque<CUevent> eventPool = new ArrayDeque<>();
    /** Timed launches whose events are not read back yet, in launch order. */
    private final ArrayDeque<Timed> pending = new ArrayDeque<>();

    private record Timed(String kernel, CUevent start, CUevent stop) {}

    private GpuDriver(CUdevice device, CUcontext context) {
        this.device = device;
        this.context = context;
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        String gpu = new String(name, StandardCharsets.US_ASCII).trim().replace("\0", "");
        int major = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        int minor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        int sms = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        int clockKhz = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_CLOCK_RATE);
        long[] mem = {0};
        cuDeviceTotalMem(mem, device);
        int[] driver = {0};
        cuDriverGetVersion(driver);
        // FP32 lanes per SM: 64 on compute capability 8.0 (A100), 128 on 8.6, 8.9, 9.x and later.
        int lanes = major == 8 && minor == 0 ? 64 : 128;
        this.peakGflops = 2.0 * lanes * sms * clockKhz / 1e6;
        this.description = String.format(Locale.ROOT, "CUDA, %s (sm_%d%d, %d SMs, %.0f GiB, fp32 FMA peak %.1f TFLOP/s at %d MHz), driver %d.%d",
                gpu, major, minor, sms, mem[0] / (double) (1L << 30), peakGflops / 1e3, clockKhz / 1000, driver[0] / 1000,
                (driver[0] % 1000) / 10);
    }

    /**
     * Opens device 0. Throws {@link IllegalStateException} with a one-line reason when there is no usable GPU (no
     * driver, no device, or a driver error), never a stack trace's worth of text.
     */
    static GpuDriver open() {
        try {
            JCudaDriver.setExceptionsEnabled(true);
            cuInit(0);
            int[] count = {0};
            cuDeviceGetCount(count);
            if (count[0] < 1) throw new IllegalStateException("no CUDA device (cuDeviceGetCount = 0)");
            CUdevice dev = new CUdevice();
            cuDeviceGet(dev, 0);
            CUcontext ctx = new CUcontext();
            cuDevicePrimaryCtxRetain(ctx, dev);
            try {
                cuCtxSetCurrent(ctx);
                return new GpuDriver(dev, ctx);
            } catch (RuntimeException e) {
                cuDevicePrimaryCtxRelease(dev);
                throw e;
            }
        } catch (CudaException e) {
            throw driverError(e);
        } catch (UnsatisfiedLinkError e) {
            throw new IllegalStateException("no CUDA driver (" + CudaBackend.linkFailure(e.getMessage()) + ")", e);
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("no CUDA driver: JCuda could not be initialised (" + CudaBackend.firstLine(e.getMessage()) + ")", e);
        }
    }

    /** A driver error while opening, in one line. */
    static IllegalStateException driverError(CudaException e) {
        String m = CudaBackend.firstLine(e.getMessage());
        return new IllegalStateException(m.contains("CUDA_ERROR_NO_DEVICE") ? "a CUDA driver but no device (" + m + ")"
                : "CUDA driver error (" + m + ")", e);
    }

    private int attribute(int attr) {
        int[] v = {0};
        cuDeviceGetAttribute(v, attr, device);
        return v[0];
    }

    @Override public String kind() { return "cuda"; }
    @Override public String describe() { return description; }
    @Override public double peakGflops() { return peakGflops; }
    @Override public void enter() { cuCtxSetCurrent(context); }

    @Override public CUdeviceptr alloc(long bytes, String what) {
        CUdeviceptr p = new CUdeviceptr();
        cuMemAlloc(p, bytes);
        return p;
    }

    @Override public void free(CUdeviceptr p) { cuMemFree(p); }
    @Override public void memsetD32(CUdeviceptr p, int value, long count) { cuMemsetD32(p, value, count); }

    @Override public void upload(CUdeviceptr dst, float[] src, int off, int n) {
        cuMemcpyHtoD(dst, Pointer.to(src).withByteOffset((long) off * Float.BYTES), (long) n * Float.BYTES);
    }

    @Override public void upload(CUdeviceptr dst, int[] src) { cuMemcpyHtoD(dst, Pointer.to(src), (long) src.length * Integer.BYTES); }
    @Override public void upload(CUdeviceptr dst, long[] src) { cuMemcpyHtoD(dst, Pointer.to(src), (long) src.length * Long.BYTES); }

    @Override public void download(float[] dst, int off, int n, CUdeviceptr src) {
        cuMemcpyDtoH(Pointer.to(dst).withByteOffset((long) off * Float.BYTES), src, (long) n * Float.BYTES);
    }

    @Override public void download(double[] dst, CUdeviceptr src) {
        cuMemcpyDtoH(Pointer.to(dst), src, (long) dst.length * Double.BYTES);
    }

    @Override public List<String> loadModule(String module, byte[] image, List<String> kernels, boolean strict) {
        CUmodule mod = new CUmodule();
        cuModuleLoadData(mod, image);   // a fatbin: the driver picks the sm_90 SASS or JITs the compute_80 PTX
        modules.add(mod);
        List<String> missing = new java.util.ArrayList<>();
        for (String f : kernels) {
            CUfunction fn = new CUfunction();
            try {
                cuModuleGetFunction(fn, mod, f);
            } catch (CudaException e) {
                if (strict) throw e;
                missing.add(f);
                continue;
            }
            functions.put(f, fn);
        }
        return missing;
    }

    @Override public void launch(String kernel, int gx, int gy, int gz, int bx, int by, int bz, Object[] args, boolean sync) {
        CUfunction fn = functions.get(kernel);
        if (fn == null) throw new IllegalStateException("kernel " + kernel + " is not in the loaded modules");
        Pointer[] ps = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            ps[i] = switch (args[i]) {
                case CUdeviceptr p -> Pointer.to(p);
                case Integer v -> Pointer.to(new int[] {v});
                case Long v -> Pointer.to(new long[] {v});
                case Float v -> Pointer.to(new float[] {v});
                default -> throw new IllegalArgumentException(kernel + ": unsupported argument " + args[i]);
            };
        }
        call(kernel, () -> cuLaunchKernel(fn, gx, gy, gz, bx, by, bz, 0, null, Pointer.to(ps), null), sync);
    }

    @Override public void call(String name, Runnable op, boolean sync) {
        try {
            if (profile == null) {
                op.run();
            } else {
                CUevent start = null, stop = null;
                try {
                    start = event();
                    stop = event();
                    cuEventRecord(start, null);
                    op.run();
                    cuEventRecord(stop, null);
                } catch (RuntimeException e) {   // a failed launch or library call: the events go back to the pool
                    if (start != null) eventPool.push(start);
                    if (stop != null) eventPool.push(stop);
                    throw e;
                }
                pending.add(new Timed(name, start, stop));
                if (pending.size() >= PENDING_MAX) resolvePending();
            }
            if (sync) cuCtxSynchronize();
        } catch (CudaException e) {
            throw new Failure(CudaBackend.firstLine(e.getMessage()), e);
        }
    }

    @Override public void synchronize() { cuCtxSynchronize(); }

    @Override public KernelProfile startProfile() {
        profile = new KernelProfile("GPU time between CUDA events recorded on the null stream around each launch");
        return profile;
    }

    /** An event from the pool, or a new one (timing enabled). */
    private CUevent event() {
        CUevent e = eventPool.poll();
        if (e == null) {
            e = new CUevent();
            cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT);
        }
        return e;
    }

    /** Waits for each pending launch's stop event, adds its time to the profile and returns its events to the pool. */
    private void resolvePending() {
        float[] ms = {0};
        for (Timed t; (t = pending.peek()) != null; ) {
            cuEventSynchronize(t.stop());
            cuEventElapsedTime(ms, t.start(), t.stop());
            pending.poll();
            eventPool.push(t.start());
            eventPool.push(t.stop());
            profile.add(t.kernel(), Math.round(ms[0] * 1e6));
        }
    }

    /**
     * Adds the pending times to the profile (if profiling), then unloads the modules and releases the primary context;
     * the context is released even when reading the events or unloading fails (a sticky error).
     */
    @Override public void close() {
        try {
            if (profile != null) closeProfile();
        } finally {
            try {
                for (CUmodule m : modules) cuModuleUnload(m);
            } finally {
                modules.clear();
                functions.clear();
                cuDevicePrimaryCtxRelease(device);
            }
        }
    }

    /** Reads back the pending times, then destroys every event, pooled or still pending. */
    private void closeProfile() {
        try {
            resolvePending();
        } finally {
            for (Timed t : pending) {
                eventPool.push(t.start());
                eventPool.push(t.stop());
            }
            pending.clear();
            try {
                for (CUevent e : eventPool) cuEventDestroy(e);
            } finally {
                eventPool.clear();
            }
        }
    }
}
