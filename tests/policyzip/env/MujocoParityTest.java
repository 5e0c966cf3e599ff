package policyzip.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replays {@code tests/fixtures/mujoco_parity.json} (Gymnasium 1.3.0 on MuJoCo 3.14.0, see
 * {@code make_mujoco_fixtures.py}) on the Java MuJoCo envs. These tests need the library ({@code native-build/mujoco.sh};
 * {@code ./policyzip test} and CI run it first) and fail, never skip, without it.
 *
 * <p>Per episode: the seeded reset must draw exactly the recorded qpos and qvel (numpy's PCG64, and for HalfCheetah
 * its ziggurat normals); then, from the recorded state, every recorded action must give the recorded observation
 * and reward within {@code 1e-6·max(1, |x|)} and the same termination flag, over all recorded steps (up to 200), but
 * only the first 25 for HalfCheetah, which is chaotic (ENVS.md section 9). Reacher's reward and observation read
 * the fingertip as MuJoCo left it inside the last RK4 stage; recomputing it at the final state would miss by up to
 * 3.8e-3.
 */
class MujocoParityTest {
    private static final Map<String, Integer> HORIZON = Map.of("HalfCheetah-v5", 25);
    private static final double TOL = 1e-6;
    private static JsonObject fixture;

    private static synchronized JsonObject fixture() throws IOException {
        if (fixture == null) {
            try (Reader r = new InputStreamReader(MujocoParityTest.class.getResourceAsStream("/fixtures/mujoco_parity.json"), StandardCharsets.UTF_8)) {
                fixture = JsonParser.parseReader(r).getAsJsonObject();
            }
        }
        return fixture;
    }

    private static double[] doubles(JsonArray a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i).getAsDouble();
        return d;
    }

    private static void close(String what, double want, double got) {
        assertTrue(Math.abs(want - got) <= TOL * Math.max(1, Math.abs(want)), () -> what + ": Gymnasium " + want + ", Java " + got + " (Δ " + (got - want) + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Reacher-v5", "Hopper-v5", "HalfCheetah-v5", "InvertedPendulum-v5", "Swimmer-v5"})
    void matchesGymnasium(String id) throws IOException {
        JsonArray episodes = fixture().getAsJsonObject("envs").getAsJsonArray(id);
        assertTrue(episodes.size() >= 3, "fixture has episodes for " + id);
        int horizon = HORIZON.getOrDefault(id, Integer.MAX_VALUE);
        int compared = 0;
        for (JsonElement e : episodes) {
            JsonObject ep = e.getAsJsonObject();
            int seed = ep.get("seed").getAsInt();
            double[] qpos = doubles(ep.getAsJsonArray("qpos")), qvel = doubles(ep.getAsJsonArray("qvel"));
            try (MujocoEnv env = (MujocoEnv) Envs.make(id, null, 1, AutoresetMode.DISABLED)) {
                env.reset(0, seed);
                double[] gotQpos = new double[qpos.length], gotQvel = new double[qvel.length];
                env.getState(0, gotQpos, gotQvel);
                for (int j = 0; j < qpos.length; j++) assertEquals(qpos[j], gotQpos[j], 0.0, id + " seed " + seed + " reset qpos[" + j + "]");
                for (int j = 0; j < qvel.length; j++) assertEquals(qvel[j], gotQvel[j], 0.0, id + " seed " + seed + " reset qvel[" + j + "]");
                env.setState(0, qpos, qvel);
                double[] resetObs = doubles(ep.getAsJsonArray("reset_obs"));
                for (int j = 0; j < resetObs.length; j++) close(id + " seed " + seed + " reset obs[" + j + "]", resetObs[j], env.obs()[j]);

                JsonArray actions = ep.getAsJsonArray("actions"), obs = ep.getAsJsonArray("obs"),
                        rewards = ep.getAsJsonArray("reward"), term = ep.getAsJsonArray("terminated");
                int steps = Math.min(actions.size(), horizon);
                float[] a = new float[env.spec().actDim()];
                for (int t = 0; t < steps; t++) {
                    JsonArray at = actions.get(t).getAsJsonArray();
                    for (int j = 0; j < a.length; j++) a[j] = at.get(j).getAsFloat();
                    env.step(a);
                    String where = id + " seed " + seed + " step " + (t + 1);
                    double[] want = doubles(obs.get(t).getAsJsonArray());
                    for (int j = 0; j < want.length; j++) close(where + " obs[" + j + "]", want[j], env.obs()[j]);
                    close(where + " reward", rewards.get(t).getAsDouble(), env.rewards()[0]);
                    assertEquals(term.get(t).getAsBoolean(), env.terminated()[0], where + " terminated");
                    compared++;
                }
            }
        }
        assertTrue(compared >= 3 * Math.min(25, horizon), "compared " + compared + " steps");
    }
}
