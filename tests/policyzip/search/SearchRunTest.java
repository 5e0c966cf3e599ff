package policyzip.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import policyzip.ae.Autoencoder;
import policyzip.backend.cpu.CpuBackend;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;
import policyzip.rollout.Rollout;
import policyzip.rollout.RolloutResult;
import policyzip.rollout.Trajectories;

/** Whole runs on MountainCar through the rollout engine, with an untrained decoder: determinism and bookkeeping. */
class SearchRunTest {
    static final MlpSpec MLP = MlpSpec.of("small", 2, 1, Activation.RELU, 1f);
    static final PgpeConfig PGPE = new PgpeConfig(4, 0.15f, 0.1f, 0.2f, 0.1f, PgpeConfig.Shaping.ZSCORE, 1);
    static final ReinforceConfig RF = new ReinforceConfig(3, 0.05f, 0.3f, true, 0.01f, ReinforceConfig.Baseline.TIME, 1);
    static final SearchRun.Settings SETTINGS = new SearchRun.Settings(9_000, 1, 2, 77);

    static PolicySpace.Latent latent(CpuBackend be) {
        int p = MLP.paramCount();
        float[] sd = new float[p];
        Arrays.fill(sd, 0.5f);
        Autoencoder ae = new Autoencoder(be, MLP, 2, new int[] {8}, new int[] {8}, PolicyInit.initialize(MLP, 3), sd, null, 4, 4);
        return new PolicySpace.Latent(be, ae, new float[] {0.1f, -0.2f}, new float[] {1f, 2f}, true);
    }

    static SearchRun.Result run(String method, int threads, long seed) {
        try (CpuBackend be = new CpuBackend(threads); PolicySpace.Latent z = latent(be);
             PolicySpace.Parameters u = PolicySpace.prior(MLP, 5)) {
            PolicySpace space = method.equals(ParamPgpe.NAME) ? u : z;
            Evaluator ev = new Evaluator(be, space, "mountaincar", "speed", RF.baseline(), RF.gamma());
            try (SearchStrategy s = switch (method) {
                case "pgpe" -> Pgpe.of(be, "pgpe", PGPE, space, seed);
                case "reinforce" -> new LatentReinforce(be, RF, space.start(), 1);
                default -> ParamPgpe.of(be, PGPE, u, seed);
            }) {
                return SearchRun.run(s, ev, SETTINGS, seed, null);
            }
        }
    }

    static double[] returns(SearchRun.Result r) {
        return r.curve().stream().mapToDouble(SearchRun.Point::evalReturn).toArray();
    }

    @Test
    void sameSeedSameCurveOnAnyThreadCount() {
        for (String m : List.of("pgpe", "reinforce", ParamPgpe.NAME)) {
            SearchRun.Result a = run(m, 1, 3), b = run(m, 3, 3), c = run(m, 1, 4);
            assertArrayEquals(returns(a), returns(b), m);
            assertEquals(a.curve(), b.curve(), m);
            assertArrayEquals(a.bestTheta(), b.bestTheta(), m);
            assertNotEquals(a.curve(), c.curve(), m + ": another seed, another run");
            // The budget is spent, by whole generations, and the curve starts before any step.
            assertTrue(a.envSteps() >= SETTINGS.envStepBudget() && a.curve().get(0).envSteps() == 0, m);
            assertEquals(a.curve().get(a.curve().size() - 1).envSteps(), a.envSteps(), m);
            double max = Arrays.stream(returns(a)).max().orElseThrow();
            assertEquals(max, a.bestReturn(), m);
        }
    }

    @Test
    void askTellLoopAsInTheReadme() {
        try (CpuBackend be = new CpuBackend(2); PolicySpace.Latent space = latent(be); Pgpe pgpe = Pgpe.of(be, "pgpe", PGPE, space, 0)) {
            Evaluator ev = new Evaluator(be, space, "mountaincar", "height");
            for (int g = 0; g < 3; g++) pgpe.tell(ev.evaluate(pgpe.ask(), g, g));
            assertEquals(3, pgpe.generation());
            assertFalse(Arrays.equals(space.start(), pgpe.center()), "the mean moved");
            assertEquals(MLP.paramCount(), space.decode(pgpe.center(), 1).length);
        }
    }

    @Test
    void bestPolicyReplaysToItsReturn() {
        SearchRun.Result r = run("pgpe", 2, 1);
        try (CpuBackend be = new CpuBackend(1)) {
            RolloutResult again = new Rollout(be, "mountaincar", MLP).run(r.bestTheta(), 1, "speed", SETTINGS.evalEpisodes(), SETTINGS.evalSeed(), 0, null);
            assertEquals(r.bestReturn(), again.meanReturn(0), 0.0);
        }
    }

    @Test
    void gaussianRolloutRecordsWhatItDid() {
        float[] thetas = PolicyInit.initialize(MLP, new long[] {1, 2});
        try (CpuBackend be = new CpuBackend(2)) {
            Rollout r = new Rollout(be, "mountaincar", MLP);
            RolloutResult plain = r.run(thetas, 2, "goal", 3, 10, 0, null);
            Trajectories still = r.runGaussian(thetas, 2, "goal", 3, 10, new float[2], 99, null);
            assertArrayEquals(plain.returns(), still.result().returns(), 0.0, "σ = 0 is the deterministic policy");
            Trajectories a = r.runGaussian(thetas, 2, "goal", 3, 10, new float[] {0.5f, 0.1f}, 99, null);
            Trajectories b;
            try (CpuBackend one = new CpuBackend(1)) {
                b = new Rollout(one, "mountaincar", MLP).runGaussian(thetas, 2, "goal", 3, 10, new float[] {0.5f, 0.1f}, 99, null);
            }
            assertArrayEquals(a.result().returns(), b.result().returns(), 0.0);
            assertArrayEquals(a.noise(), b.noise());
            int t = a.maxSteps();
            for (int j = 0; j < 6; j++) {
                double sum = 0;
                for (int s = 0; s < a.length(j); s++) sum += a.rewards()[j * t + s];
                assertEquals(a.result().returns()[j], sum, 1e-9, "instance " + j);
                assertTrue(a.noise()[j * t] != 0 && a.obs()[j * t * 2] != 0, "step 0 recorded");
            }
            assertNotEquals(plain.returns()[0], a.result().returns()[0]);
        }
    }
}
