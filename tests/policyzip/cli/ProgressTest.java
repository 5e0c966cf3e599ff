package policyzip.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The progress bar's ETA counts only this run's work: a resumed run's earlier steps took none of its time. */
class ProgressTest {
    @Test
    void etaOfAResumedRunUsesOnlyThisRunsRate() {
        StringWriter sink = new StringWriter();
        Progress p = new Progress(new PrintWriter(sink), "train", 1000, "steps");
        p.update(500);                                  // resumed at step 500
        long tenSecondsLater = System.nanoTime() + 10_000_000_000L;
        double eta = p.eta(600, tenSecondsLater);       // 100 steps in about 10 s, 400 to go: about 40 s
        assertTrue(eta > 39.9 && eta < 40.5, "ETA " + eta);
        assertTrue(!sink.toString().contains("ETA"), "no ETA before any of this run's work: " + sink);
    }
}
