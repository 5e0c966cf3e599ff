package policyzip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

public class CliTest {
    public record Run(int status, String out, String err) {}

    public static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int status = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void infoNamesTheBackendAndEnvs() {
        Run r = run("info", "--threads", "1");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("vector API"), r.out());
        assertTrue(r.out().contains("MountainCarContinuous-v0"), r.out());
        assertTrue(r.out().contains("Pendulum-v1"), r.out());
        assertTrue(r.out().contains("cpu-"), r.out());
        assertTrue(r.out().contains("MuJoCo      MuJoCo 3.14.0 (mj_version 3014000)"), r.out());
        assertTrue(r.out().contains("Hopper-v5") && r.out().contains("reach-ne"), r.out());
    }

    /** The MuJoCo envs from the CLI: every Hopper task from one rollout, and a Reacher task on its own. */
    @Test
    void rolloutOnMujocoEnvs() {
        Run r = run("rollout", "--env", "hopper", "--policies", "8", "--size", "small", "--threads", "1");
        assertEquals(0, r.status(), r.err());
        for (String task : new String[] {"forward", "backward", "jump"}) assertTrue(r.out().contains("\n" + task + " "), r.out());
        r = run("rollout", "--env", "Reacher-v5", "--task", "reach-sw", "--policies", "4", "--size", "small", "--threads", "1");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("reach-sw") && !r.out().contains("reach-ne"), r.out());
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"demo", "dataset", "train", "recover", "reproduce", "rollout", "search", "bench", "info"}) {
            Run r = run(cmd, "--help");
            assertEquals(0, r.status(), cmd);
            assertTrue(r.out().contains("Usage: policyzip " + cmd), r.out());
        }
    }

    @Test
    void badInputGivesOneLineAndStatus2() {
        for (String[] args : new String[][] {
                {"rollout", "--env", "atari"},
                {"rollout", "--task", "fly"},
                {"rollout", "--size", "huge"},
                {"rollout", "--policies", "0"},
                {"rollout", "--backend", "tpu"},
                {"bench", "--workload", "nope"},
                {"info", "--threads", "0"}}) {
            Run r = run(args);
            assertEquals(2, r.status(), String.join(" ", args) + ": " + r.err());
            String[] lines = r.err().strip().split("\n");
            assertEquals(1, lines.length, "expected one line for " + String.join(" ", args) + ", got:\n" + r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }

    @Test
    void rolloutWritesJsonAndMatchesStoredPolicies(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("r.json");
        Run r = run("rollout", "--policies", "3", "--first-seed", "5", "--task", "goal", "--size", "small", "--threads", "1",
                "--json", json.toString());
        assertEquals(0, r.status(), r.err());
        JsonObject doc = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        var returns = doc.getAsJsonObject("tasks").getAsJsonObject("goal").getAsJsonArray("mean_returns");
        assertEquals(3, returns.size());

        // The same three policies written as raw float32 give the same returns.
        MlpSpec mlp = MlpSpec.of("small", 2, 1, Activation.RELU, 1f);
        float[] theta = PolicyInit.initialize(mlp, new long[] {5, 6, 7});
        ByteBuffer bb = ByteBuffer.allocate(theta.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(theta);
        Path f = dir.resolve("theta.f32");
        Files.write(f, bb.array());
        Path json2 = dir.resolve("r2.json");
        Run r2 = run("rollout", "--theta", f.toString(), "--task", "goal", "--size", "small", "--threads", "1", "--json", json2.toString());
        assertEquals(0, r2.status(), r2.err());
        var returns2 = JsonParser.parseString(Files.readString(json2)).getAsJsonObject().getAsJsonObject("tasks")
                .getAsJsonObject("goal").getAsJsonArray("mean_returns");
        assertEquals(returns, returns2);
    }

    @Test
    void truncatedThetaFileIsRefusedWithItsName(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.f32");
        Files.write(f, new byte[4 * 17 + 3]);
        Run r = run("rollout", "--theta", f.toString(), "--size", "small");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("bad.f32") && r.err().contains("not a whole number"), r.err());
        Files.write(f, ByteBuffer.allocate(4 * 17).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, Float.NaN).array());
        r = run("rollout", "--theta", f.toString(), "--size", "small");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("non-finite"), r.err());
    }

    @Test
    void benchRunsAVerifiedWorkload(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("b.json");
        Run r = run("bench", "-w", "fwd-small", "--reps", "1", "--seconds", "0.05", "--warmup", "0", "--threads", "1",
                "--json", json.toString());
        assertEquals(0, r.status(), r.err());
        var res = JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonArray("results");
        assertEquals("fwd-small", res.get(0).getAsJsonObject().get("name").getAsString());
        assertTrue(res.get(0).getAsJsonObject().get("median").getAsDouble() > 0);
    }

    @Test
    void withoutTheVectorModuleTheScalarPathRunsAndSaysWhy() throws Exception {
        // A JVM started without --add-modules jdk.incubator.vector (as `java -jar` alone would be).
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "policyzip.cli.Main",
                "rollout", "--policies", "2", "--task", "goal", "--size", "small", "--threads", "1")
                .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), text);
        assertTrue(text.contains("kernels scalar"), text);
        Process info = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "policyzip.cli.Main", "info")
                .redirectErrorStream(true).start();
        String infoText = new String(info.getInputStream().readAllBytes());
        assertEquals(0, info.waitFor(), infoText);
        assertTrue(infoText.contains("module jdk.incubator.vector absent"), infoText);
    }

    @Test
    void datasetCommandWritesRefusesToOverwriteAndInspects(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("small.pzd");
        String[] args = {"dataset", "--env", "mountaincar", "--size", "small", "--n", "40", "--generation", "20", "--probes", "8",
                "--neighbours", "3", "--keep", "0.5", "--threads", "1", "--out", f.toString()};
        Run r = run(args);
        assertEquals(0, r.status(), r.err());
        assertTrue(Files.exists(f) && !Files.exists(dir.resolve("small.pzd.partial")));
        Run again = run(args);
        assertEquals(2, again.status());
        assertTrue(again.err().contains("--force"), again.err());
        Run inspect = run("dataset", "inspect", f.toString());
        assertEquals(0, inspect.status(), inspect.err());
        assertTrue(inspect.out().contains("N=40") && inspect.out().contains("height"), inspect.out());
        Run missing = run("dataset", "--n", "40");
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("--out"), missing.err());
    }

    @Test
    void demoRunsThePipelineAtTinyScale(@TempDir Path dir) throws Exception {
        Run r = run("demo", "--dir", dir.toString(), "--policies", "200", "--steps", "40", "--latent", "1", "--size", "small", "--threads", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("Summary") && r.out().contains("PR_max"), r.out());
        assertTrue(Files.exists(dir.resolve("mc-small-k1.ckpt.loss.png")) && Files.exists(dir.resolve("mc-small-k1.ckpt.recovery.goal.png")));
    }
}
