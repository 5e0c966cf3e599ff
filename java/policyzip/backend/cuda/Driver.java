package policyzip.backend.cuda;

import java.util.List;
import jcuda.driver.CUdeviceptr;

/**
 * The CUDA driver operations {@link CudaBackend} runs on: JCuda's driver API on a GPU ({@link GpuDriver}), or the CPU
 * emulator of the kernels ({@link EmuDriver}), so that the same launch logic (grids, chunking, offsets, scratch) runs
 * on both. Device pointers are JCuda's {@link CUdeviceptr} either way (the emulator's are host addresses, made with
 * {@code new CUdeviceptr().withByteOffset(address)}); kernel arguments are CUdeviceptr, Integer, Long or Float, in the
 * kernel's parameter order.
 */
interface Driver {
    /** {@link CudaBackend#name()}: "cuda" or "cuda-emu". */
    String kind();

    /** The device in one line, for {@link CudaBackend#describe()}. */
    String describe();

    /** FP32 FMA peak in GFLOP/s; 0 where there is none (the emulator). */
    double peakGflops();

    /** Makes this driver's context current on the calling thread. */
    void enter();

    /** {@code bytes} (> 0) of device memory; {@code what} names the buffer in the emulator's messages. */
    CUdeviceptr alloc(long bytes, String what);

    void free(CUdeviceptr p);

    void memsetD32(CUdeviceptr p, int value, long count);

    void upload(CUdeviceptr dst, float[] src, int off, int n);

    void upload(CUdeviceptr dst, int[] src);

    void upload(CUdeviceptr dst, long[] src);

    void download(float[] dst, int off, int n, CUdeviceptr src);

    /** Copies {@code dst.length} doubles from the device (a reduction's result). */
    void download(double[] dst, CUdeviceptr src);

    /**
     * Loads a module from its fatbin image (the emulator ignores the image) and finds each of {@code kernels} in it.
     * Strict, a kernel that is not there is an error; otherwise it is skipped and returned (an image from another
     * build, {@link CudaBackend#kernelsOverride()}). Returns the kernels not found: empty when strict.
     */
    List<String> loadModule(String module, byte[] image, List<String> kernels, boolean strict);

    /**
     * Launches {@code kernel} (one of those loaded) on grid gx × gy × gz of blocks bx × by × bz, then synchronizes if
     * {@code sync}. A failure of the launch or of the kernel is a {@link Failure} with the driver's one-line reason.
     */
    void launch(String kernel, int gx, int gy, int gz, int bx, int by, int bz, Object[] args, boolean sync);

    /**
     * Runs {@code op}, a host call that enqueues work on the default stream (a library's kernel: cuBLAS), timed under
     * {@code name} like a launch when profiling, then synchronizes if {@code sync}. A CUDA error found by that
     * synchronize is a {@link Failure}.
     */
    void call(String name, Runnable op, boolean sync);

    void synchronize();

    /**
     * Times every later completed launch into the returned profile ({@code -Dpolicyzip.cuda.profile=true}); called at
     * most once, before the first launch. Until then launches are not timed at all. Times still pending (CUDA events
     * not yet read back) are added by {@link #close()} at the latest.
     */
    KernelProfile startProfile();

    /**
     * Unloads the modules and releases the context; device memory is the caller's to free first. With a profile, its
     * pending times are added first.
     */
    void close();

    /** A launch that failed, with the driver's reason in one line (the caller adds the kernel and the geometry). */
    final class Failure extends RuntimeException {
        Failure(String reason, Throwable cause) {
            super(reason, cause);
        }
    }
}
