import java.nio.file.Path;
import policyzip.ae.Checkpoint;
import policyzip.embed.LatentPolicies;
import policyzip.backend.cpu.CpuBackend;
import policyzip.rollout.Rollout;

public class EvalZ {
    public static void main(String[] a) throws Exception {
        Checkpoint ck = Checkpoint.read(Path.of(a[0]));
        LatentPolicies lp = LatentPolicies.of(ck);
        String env = a[1], task = a[2];
        try (CpuBackend be = new CpuBackend(2)) {
            Rollout r = new Rollout(be, env, ck.policy());
            for (int i = 3; i < a.length; i++) {
                String[] s = a[i].split(",");
                float[] z = new float[s.length];
                for (int d = 0; d < s.length; d++) z[d] = Float.parseFloat(s[d]);
                float[] th = lp.decode(z);
                System.out.println(a[i] + " -> 5 eval episodes: " + r.run(th, 1, task, 5, 1000000, 0, null).meanReturn(0)
                        + ", 50 episodes: " + r.run(th, 1, task, 50, 2000000, 0, null).meanReturn(0));
            }
        }
    }
}
