import policyzip.backend.*;
import policyzip.backend.cpu.*;
public class LongSum {
    public static void main(String[] a) throws Exception {
        // TwinCheck.longReductions is package-private: call it reflectively with the SIMD CPU backend as the "device".
        var m = TwinCheck.class.getDeclaredMethod("longReductions", Backend.class, CpuBackend.class, int.class, java.util.SplittableRandom.class, java.util.function.Consumer.class);
        m.setAccessible(true);
        try (CpuBackend simd = new CpuBackend(2); CpuBackend scalar = new CpuBackend(KernelsProvider.scalar(), 1)) {
            java.util.function.Consumer<TwinCheck.Result> print = r -> System.out.println(r);
            m.invoke(null, simd, scalar, 121_801, new java.util.SplittableRandom(1), print);
        }
    }
}
