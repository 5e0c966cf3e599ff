import policyzip.ae.TrainingTwin;
import policyzip.backend.Backends;
import policyzip.backend.Backend;
import policyzip.backend.cpu.*;
public class Drift {
    public static void main(String[] a) {
        TrainingTwin.Setup s = new TrainingTwin.Setup(a[1], 2, Integer.parseInt(a[2]), Integer.parseInt(a[3]), Integer.parseInt(a[4]), 100);
        try (Backend dev = a[0].equals("simd") ? new CpuBackend(2) : Backends.create(a[0], 1); CpuBackend ref = new CpuBackend(KernelsProvider.scalar(), 1)) {
            TrainingTwin.Result r = TrainingTwin.run(dev, ref, s, 42);
            for (int i = 0; i < 100; i += (i < 10 ? 1 : 10)) System.out.printf("step %3d  %.8g %.8g  rel %.2e%n", i + 1, r.device()[i], r.reference()[i], Math.abs(r.device()[i] - r.reference()[i]) / r.reference()[i]);
            System.out.println(r);
        }
    }
}
