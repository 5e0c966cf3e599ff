package policyzip.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed kernels match their sources, without nvcc: resources/policyzip/cuda/SOURCES.sha256 (written by
 * native-build/build-kernels.sh) must list the sha256 of every file in cuda/ and of the build script as they are now,
 * so a kernel edited without a rebuild fails here. (native-build/build-kernels.sh --check also compares the fatbins
 * byte for byte where nvcc is installed.) And the kernel names CudaBackend looks up exist in the sources.
 */
class KernelSourcesTest {
    @Test
    void committedFatbinsWereBuiltFromTheseSources() throws Exception {
        TreeSet<String> files = new TreeSet<>();
        try (Stream<Path> s = Files.list(Path.of("cuda"))) {
            s.map(p -> "cuda/" + p.getFileName()).filter(n -> n.endsWith(".cu") || n.endsWith(".cuh")).forEach(files::add);
        }
        files.add("native-build/build-kernels.sh");
        StringBuilder want = new StringBuilder();
        for (String f : files) {   // TreeSet: byte order of ASCII names, as LC_ALL=C sort
            byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(Path.of(f)));
            want.append(HexFormat.of().formatHex(d)).append("  ").append(f).append('\n');
        }
        String got = Files.readString(Path.of("resources/policyzip/cuda/SOURCES.sha256"));
        assertEquals(want.toString(), got, "cuda/ or native-build/build-kernels.sh changed since the committed fatbins were built: "
                + "run native-build/build-kernels.sh and commit resources/policyzip/cuda/");
    }

    @Test
    void everyModuleIsAFatbinOnTheClassPath() throws IOException {
        for (String m : List.of("mlp_forward", "mlp_backward", "distances", "policy_init", "dense", "elementwise")) {
            try (InputStream in = CudaBackend.class.getResourceAsStream("/policyzip/cuda/" + m + ".fatbin")) {
                assertTrue(in != null, m + ".fatbin is not on the class path");
                byte[] head = in.readNBytes(4);
                // Fatbin magic 0xBA55ED50, little-endian.
                assertEquals("50ed55ba", HexFormat.of().formatHex(head), m + ".fatbin does not start with the fatbin magic");
            }
        }
    }

    @Test
    void trainingKernelsExistInTheSource() throws IOException {
        String dense = Files.readString(Path.of("cuda/dense.cu")), elementwise = Files.readString(Path.of("cuda/elementwise.cu"));
        // The three GEMMs are instantiated by GEMM_KERNEL(name, ...); the others are defined as name(...).
        for (String k : List.of("dense_gemm_nt", "dense_gemm_nn", "dense_gemm_tn")) {
            assertTrue(dense.contains("GEMM_KERNEL(" + k + ","), k + " is not instantiated in cuda/dense.cu");
        }
        for (String k : List.of("dense_splitk_reduce", "dense_act_grad")) assertTrue(dense.contains("\n" + k + "("), k + " is not defined in cuda/dense.cu");
        for (String k : List.of("adam_step", "column_affine", "mse_partial", "mse_finish")) {
            assertTrue(elementwise.contains("\n" + k + "("), k + " is not defined in cuda/elementwise.cu");
        }
    }

    @Test
    void presetKernelsExistInTheSource() throws IOException {
        String src = Files.readString(Path.of("cuda/mlp_forward.cu"));
        Set<String> inSource = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^PRESET\\((\\d+), (\\d+), (\\d+), (\\d+)\\)").matcher(src);
        while (m.find()) inSource.add(m.group(1) + "_" + m.group(2) + "_" + m.group(3) + "_" + m.group(4));
        assertEquals(new TreeSet<>(CudaBackend.PRESETS), inSource, "CudaBackend.PRESETS and the PRESET(...) lines of cuda/mlp_forward.cu differ");
        for (String k : List.of("mlp_forward_large", "mlp_forward_large_a1", "mlp_forward_generic")) {
            assertTrue(src.contains(k + "("), k + " is not defined in cuda/mlp_forward.cu");
        }
    }

    @Test
    void backwardKernelsExistInTheSource() throws IOException {
        String src = Files.readString(Path.of("cuda/mlp_backward.cu"));
        Set<String> inSource = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^BWD_PRESET\\((\\d+), (\\d+), (\\d+), (\\d+)\\)").matcher(src);
        while (m.find()) inSource.add(m.group(1) + "_" + m.group(2) + "_" + m.group(3) + "_" + m.group(4));
        assertEquals(new TreeSet<>(CudaBackend.PRESETS), inSource, "CudaBackend.PRESETS and the BWD_PRESET(...) lines of cuda/mlp_backward.cu differ");
        Matcher d = Pattern.compile("(?m)^BWD_D[WX](?:_THIN)?\\((\\w+), ").matcher(src);
        Set<String> gemms = new TreeSet<>();
        while (d.find()) gemms.add(d.group(1));
        assertEquals(new TreeSet<>(List.of("mlp_bwd_dw_t2", "mlp_bwd_dw_t10", "mlp_bwd_dw_t10_swap", "mlp_bwd_dw_thin_out",
                "mlp_bwd_dw_thin_in", "mlp_bwd_dx_t2", "mlp_bwd_dx_t8")), gemms, "the GEMM variants of cuda/mlp_backward.cu");
        // Every variant CudaBackend can pick exists: small and large layers, both orientations.
        for (int[] s : new int[][] {{1, 300}, {300, 400}, {400, 2}, {17, 33}, {3, 17}, {2, 2}, {9, 8}, {8, 9}, {9, 9}}) {
            String dw = CudaBackend.dwVariant(s[0], s[1]).kernel(), dx = CudaBackend.dxVariant(s[0], s[1]).kernel();
            assertTrue(gemms.contains(dw) && gemms.contains(dx), dw + ", " + dx);
            String gemm = CudaBackend.dwVariant(s[0], s[1], false).kernel();   // a build without the thin kernels
            assertTrue(gemms.contains(gemm) && !CudaBackend.OPTIONAL_KERNELS.contains(gemm), gemm);
        }
        for (String k : List.of("mlp_bwd_out", "mlp_bwd_sum_states")) {
            assertTrue(src.contains(k + "("), k + " is not defined in cuda/mlp_backward.cu");
        }
    }
}
