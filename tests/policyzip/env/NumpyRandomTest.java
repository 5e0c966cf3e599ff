package policyzip.env;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Checks {@link NumpyRandom} bit for bit against numpy and Gymnasium 1.3.0 fixtures. */
class NumpyRandomTest {

    private static JsonObject load(String resource) throws IOException {
        try (Reader r = new InputStreamReader(NumpyRandomTest.class.getResourceAsStream(resource), StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(r).getAsJsonObject();
        }
    }

    private static JsonArray episodes(String envId) throws IOException {
        return load("/fixtures/classic_parity.json").getAsJsonObject("envs").getAsJsonArray(envId);
    }

    @Test
    void matchesNumpyDefaultRng() throws IOException {
        for (JsonElement e : load("/fixtures/numpy_rng.json").getAsJsonArray("seeds")) {
            JsonObject o = e.getAsJsonObject();
            long seed = Long.parseLong(o.get("seed").getAsString());
            NumpyRandom raw = new NumpyRandom(seed), dbl = new NumpyRandom(seed);
            JsonArray wantRaw = o.getAsJsonArray("raw"), wantDbl = o.getAsJsonArray("random");
            for (int i = 0; i < wantRaw.size(); i++) {
                assertEquals(Long.parseUnsignedLong(wantRaw.get(i).getAsString()), raw.nextLong(), "raw seed " + seed + " #" + i);
                assertEquals(wantDbl.get(i).getAsDouble(), dbl.random(), 0.0, "random seed " + seed + " #" + i);
            }
        }
    }

    @Test
    void standardNormalMatchesNumpyZiggurat() throws IOException {
        int draws = 0;
        for (JsonElement e : load("/fixtures/numpy_rng.json").getAsJsonArray("seeds")) {
            JsonObject o = e.getAsJsonObject();
            long seed = Long.parseLong(o.get("seed").getAsString());
            NumpyRandom rng = new NumpyRandom(seed);
            JsonArray want = o.getAsJsonArray("normal");
            for (int i = 0; i < want.size(); i++, draws++) {
                assertEquals(want.get(i).getAsDouble(), rng.standardNormal(), 0.0, "standard_normal seed " + seed + " #" + i);
            }
        }
        assertEquals(9 * 500, draws, "fixture holds 500 normals for each of 9 seeds");
    }

    @Test
    void reproducesMountainCarReset() throws IOException {
        for (JsonElement e : episodes("MountainCarContinuous-v0")) {
            JsonObject ep = e.getAsJsonObject();
            int seed = ep.get("seed").getAsInt();
            JsonArray state = ep.getAsJsonArray("reset_state");
            assertEquals(state.get(0).getAsDouble(), new NumpyRandom(seed).uniform(-0.6, -0.4), 0.0, "seed " + seed);
            assertEquals(0.0, state.get(1).getAsDouble(), 0.0);
        }
    }

    @Test
    void reproducesPendulumReset() throws IOException {
        for (JsonElement e : episodes("Pendulum-v1")) {
            JsonObject ep = e.getAsJsonObject();
            int seed = ep.get("seed").getAsInt();
            JsonArray state = ep.getAsJsonArray("reset_state");
            NumpyRandom rng = new NumpyRandom(seed);
            assertEquals(state.get(0).getAsDouble(), rng.uniform(-Math.PI, Math.PI), 0.0, "theta seed " + seed);
            assertEquals(state.get(1).getAsDouble(), rng.uniform(-1, 1), 0.0, "thetadot seed " + seed);
        }
    }

    /** The fixtures' random actions are {@code float32(default_rng(1000+seed).uniform(-1.2*high, 1.2*high))}. */
    @Test
    void reproducesFixtureActionStreams() throws IOException {
        for (String id : new String[] {"MountainCarContinuous-v0", "Pendulum-v1"}) {
            double bound = 1.2 * (id.startsWith("Pendulum") ? 2.0 : 1.0);
            for (JsonElement e : episodes(id)) {
                JsonObject ep = e.getAsJsonObject();
                if (!ep.get("controller").getAsString().equals("random")) continue;
                int seed = ep.get("seed").getAsInt();
                NumpyRandom rng = new NumpyRandom(1000 + seed);
                JsonArray actions = ep.getAsJsonArray("actions");
                for (int t = 0; t < actions.size(); t++)
                    assertEquals(actions.get(t).getAsJsonArray().get(0).getAsDouble(), (float) rng.uniform(-bound, bound), 0.0,
                            id + " seed " + seed + " step " + t);
            }
        }
    }

    @Test
    void rejectsNegativeSeed() {
        assertThrows(IllegalArgumentException.class, () -> new NumpyRandom(-1));
    }
}
