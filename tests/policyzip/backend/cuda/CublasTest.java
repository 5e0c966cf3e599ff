package policyzip.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.ae.TrainingTwin;
import policyzip.backend.TwinCheck;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;

/**
 * The dense layers' cuBLAS path (POLICYZIP_CUDA_GEMM=cublas) on the emulator's cuBLAS twin, which has cuBLAS's
 * column-major semantics and checks every operand's extent: the transposes and leading dimensions CudaBackend passes,
 * the bias-and-activation pass after the product, the training step on it, and the errors of a wrong call. The real
 * cuBLAS runs only on a GPU (bench/gpu/README.md, the gemm step).
 */
class CublasTest {

    @Test
    void theDenseLayersOnCublasMatchTheirCpuTwins() {
        long seed = System.nanoTime();
        try (CudaBackend be = CudaBackend.openEmulator(1, CudaBackend.Gemm.CUBLAS)) {
            assertTrue(be.describe().contains("dense GEMMs on the CUDA emulator's cuBLAS twin"), be.describe());
            List<TwinCheck.Result> r = TwinCheck.run(be, seed, true, null);
            long dense = r.stream().filter(x -> x.op().startsWith("dense")).count();
            assertTrue(dense >= 10, "dense cases: " + dense);
            for (TwinCheck.Result x : r) assertTrue(x.passed(), "seed " + seed + ": " + x);
            assertEquals(0, be.liveBuffers(), "TwinCheck leaked device buffers");
        }
    }

    @Test
    void theAutoencoderTrainsTheCpusCurveOnCublas() {
        try (CudaBackend be = CudaBackend.openEmulator(1, CudaBackend.Gemm.CUBLAS);
             CpuBackend ref = new CpuBackend(KernelsProvider.scalar(), 1)) {
            TrainingTwin.Result r = TrainingTwin.run(be, ref, new TrainingTwin.Setup("small", 1, 16, 8, 16, 30), 3);
            assertTrue(r.passed(), r.toString());
        }
    }

    @Test
    void aWrongCallIsOneLineNamingWhatIsWrong() {
        EmuLibrary lib = EmuLibrary.get();
        EmuDriver d = new EmuDriver(lib);
        CUdeviceptr a = d.alloc(6 * 4, "A"), b = d.alloc(6 * 4, "B"), c = d.alloc(4 * 4, "C");
        try (Cublas blas = Cublas.emulated(lib.file)) {
            long pa = DevicePointers.address(a), pb = DevicePointers.address(b), pc = DevicePointers.address(c);
            d.upload(a, new float[] {1, 2, 3, 4, 5, 6}, 0, 6);   // column-major 2 × 3: [[1, 3, 5], [2, 4, 6]]
            d.upload(b, new float[] {1, 0, 0, 1, 1, 1}, 0, 6);   // column-major 3 × 2: [[1, 1], [0, 1], [0, 1]]
            blas.sgemm(Cublas.Op.N, Cublas.Op.N, 2, 2, 3, pa, 2, pb, 3, pc, 2);
            float[] got = new float[4];
            d.download(got, 0, 4, c);
            assertEquals(List.of(1f, 2f, 9f, 12f), List.of(got[0], got[1], got[2], got[3]), "C = A · B, column-major");
            blas.sgemm(Cublas.Op.T, Cublas.Op.T, 2, 2, 3, pb, 3, pa, 2, pc, 2);   // (B · A)ᵀ... as Bᵀ · Aᵀ = (A · B)ᵀ
            d.download(got, 0, 4, c);
            assertEquals(List.of(1f, 9f, 2f, 12f), List.of(got[0], got[1], got[2], got[3]), "Bᵀ · Aᵀ");

            IllegalStateException lda = assertThrows(IllegalStateException.class, () -> blas.sgemm(Cublas.Op.N, Cublas.Op.N, 2, 2, 3, pa, 1, pb, 3, pc, 2));
            assertTrue(lda.getMessage().startsWith("cublasSgemm_v2 (N, N, m 2, n 2, k 3, lda 1, ldb 3, ldc 2) returned CUBLAS_STATUS_INVALID_VALUE"),
                    lda.getMessage());
            IllegalStateException past = assertThrows(IllegalStateException.class, () -> blas.sgemm(Cublas.Op.N, Cublas.Op.N, 2, 2, 4, pa, 2, pb, 4, pc, 2));
            assertTrue(past.getMessage().endsWith("A (2 × 4, leading dimension 2: 32 bytes at 0x" + Long.toHexString(pa)
                    + ") is not inside one live device allocation"), past.getMessage());
        } finally {
            for (CUdeviceptr p : new CUdeviceptr[] {a, b, c}) d.free(p);
        }
    }

    @Test
    void theChoiceAndTheLibraryAreNamedWhenWrong(@TempDir Path dir) throws Exception {
        String before = System.getProperty("policyzip.cuda.gemm");
        try {
            System.setProperty("policyzip.cuda.gemm", "fast");
            IllegalStateException e = assertThrows(IllegalStateException.class, CudaBackend::gemmChoice);
            assertEquals("system property policyzip.cuda.gemm is 'fast': expected kernels, cublas or auto", e.getMessage());
            System.setProperty("policyzip.cuda.gemm", " CUBLAS ");
            assertEquals(CudaBackend.Gemm.CUBLAS, CudaBackend.gemmChoice());
        } finally {
            if (before == null) System.clearProperty("policyzip.cuda.gemm");
            else System.setProperty("policyzip.cuda.gemm", before);
        }
        String lib = System.getProperty("policyzip.cublas.lib");
        try {
            Path missing = dir.resolve("libcublas.so.13");
            System.setProperty("policyzip.cublas.lib", missing.toString());
            IllegalStateException e = assertThrows(IllegalStateException.class, Cublas::locate);
            assertEquals("system property policyzip.cublas.lib names " + missing + ", which is not a file", e.getMessage());
            Path notALibrary = Files.writeString(dir.resolve("libcublas.so.12"), "not an ELF file");
            IllegalStateException l = assertThrows(IllegalStateException.class, () -> Cublas.open(notALibrary));
            assertTrue(l.getMessage().startsWith("cannot load cuBLAS from " + notALibrary + " ("), l.getMessage());
        } finally {
            if (lib == null) System.clearProperty("policyzip.cublas.lib");
            else System.setProperty("policyzip.cublas.lib", lib);
        }
    }
}
