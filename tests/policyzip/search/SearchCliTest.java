package policyzip.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.ae.TrainConfig;
import policyzip.ae.Trainer;
import policyzip.backend.cpu.CpuBackend;
import policyzip.cli.CliTest;
import policyzip.dataset.Dataset;
import policyzip.dataset.NoveltyConfig;
import policyzip.dataset.NoveltySearch;
import policyzip.policy.Activation;

/** {@code policyzip search} end to end: files, the table, and best policies that {@code policyzip rollout} replays. */
class SearchCliTest {
    /** Runs rollout on a saved best policy with the replay command the JSON records; returns its mean return. */
    static double replay(JsonObject method, Path dir) throws Exception {
        List<String> args = new ArrayList<>(Arrays.asList(method.get("replay").getAsString().split(" ")));
        args.remove(0); // "policyzip"
        Path json = dir.resolve("replay.json");
        args.addAll(List.of("--threads", "1", "--json", json.toString()));
        var r = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, r.status(), r.err());
        JsonObject tasks = JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonObject("tasks");
        return tasks.getAsJsonObject(tasks.keySet().iterator().next()).getAsJsonArray("mean_returns").get(0).getAsDouble();
    }

    @Test
    void latentMethodsFromACheckpoint(@TempDir Path dir) throws Exception {
        NoveltyConfig dc = new NoveltyConfig("mountaincar", "small", Activation.RELU, 120, 60, 16, 5, 0.25, 0, 0.1f, 1, 1);
        TrainConfig tc = new TrainConfig(2, new int[] {16}, new int[] {16}, TrainConfig.Loss.BEHAVIOURAL, 3e-3f, 32, 32, 40, 2, 40, 40, 0.1, 100);
        try (CpuBackend be = new CpuBackend(2)) {
            new NoveltySearch(be, dc).run(dir.resolve("d.pzd"), false, null);
            new Trainer(be, Dataset.open(dir.resolve("d.pzd")), tc).train(dir.resolve("c.ckpt"), false, null);
        }
        Path prefix = dir.resolve("s");
        var r = CliTest.run("search", "-c", dir.resolve("c.ckpt").toString(), "-d", dir.resolve("d.pzd").toString(), "--task", "speed",
                "--seeds", "2", "--env-steps", "8000", "--population", "4", "--reinforce-episodes", "2", "--eval-episodes", "2",
                "--threads", "2", "-o", prefix.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("steps to level") && r.out().contains("reinforce") && r.out().contains("param-pgpe"), r.out());
        JsonObject doc = JsonParser.parseString(Files.readString(dir.resolve("s.json"))).getAsJsonObject();
        JsonObject methods = doc.getAsJsonObject("methods");
        assertEquals(3, methods.size());
        for (String m : List.of("pgpe", "reinforce", "param-pgpe")) {
            JsonObject o = methods.getAsJsonObject(m);
            assertEquals(2, o.getAsJsonArray("runs").size(), m);
            assertEquals(o.get("best_return").getAsDouble(), replay(o, dir), 0.0, m);
        }
        String csv = Files.readString(dir.resolve("s.csv"));
        assertEquals(1 + 3 * 50, csv.lines().count(), csv);
        assertTrue(Files.size(dir.resolve("s.png")) > 1000);
        // Every evaluation of every run: at least the start and the end of 3 methods × 2 seeds.
        List<String> runs = Files.readAllLines(dir.resolve("s.runs.csv"));
        assertEquals("method,seed,generation,env_steps,eval_return,mean_fitness", runs.get(0));
        assertTrue(runs.size() > 1 + 3 * 2 * 2, runs.size() + " rows");

        // Without --dataset the checkpoint's recorded dataset is used; gone, the error says what to pass.
        Files.move(dir.resolve("d.pzd"), dir.resolve("moved.pzd"));
        var gone = CliTest.run("search", "-c", dir.resolve("c.ckpt").toString(), "--seeds", "1");
        assertEquals(2, gone.status(), gone.err());
        assertEquals(1, gone.err().strip().lines().count(), gone.err());
        assertTrue(gone.err().contains("--dataset"), gone.err());
    }

    @Test
    void parameterSearchNeedsNoCheckpointAndRunsOnPendulum(@TempDir Path dir) throws Exception {
        var r = CliTest.run("search", "--method", "param-pgpe", "--env", "pendulum", "--size", "small", "--seeds", "2", "--env-steps", "2000",
                "--population", "4", "--eval-episodes", "2", "--threads", "1", "-o", dir.resolve("p").toString());
        assertEquals(0, r.status(), r.err());
        JsonObject doc = JsonParser.parseString(Files.readString(dir.resolve("p.json"))).getAsJsonObject();
        assertEquals("swingup", doc.get("task").getAsString());
        JsonObject o = doc.getAsJsonObject("methods").getAsJsonObject("param-pgpe");
        assertEquals(o.get("best_return").getAsDouble(), replay(o, dir), 0.0);
    }

    @Test
    void badInputIsOneLine() {
        for (String[] args : new String[][] {
                {"search", "--method", "pgpe"},
                {"search", "--method", "cma", "--env", "pendulum"},
                {"search", "--method", "param-pgpe", "--population", "5"},
                {"search", "--method", "param-pgpe", "--task", "fly"},
                {"search", "--method", "param-pgpe", "--latent-units", "furlongs"}}) {
            var r = CliTest.run(args);
            assertEquals(2, r.status(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }
}
