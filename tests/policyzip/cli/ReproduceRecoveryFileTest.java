package policyzip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.eval.Recovery;

/**
 * A resumed `reproduce` keeps each finished row's recovery beside its checkpoint: read back as written, and ignored
 * (measured again) when the checkpoint file changed, the step differs, or the file is unreadable.
 */
class ReproduceRecoveryFileTest {
    @TempDir Path dir;

    @Test
    void keptRecoveryIsReadBackOnlyForTheSameCheckpoint() throws Exception {
        Path ck = dir.resolve("mc-large-50000-k1-s10000.ckpt");
        Files.write(ck, new byte[] {1, 2, 3});
        Recovery.TaskRecovery g = new Recovery.TaskRecovery("goal", -3.2e-4, -50.5, -2.8e-6, -40.25, 114.4, 1.902, 17);
        assertNull(ReproduceCommand.readRecovery(ck, 10_000), "nothing kept yet");
        ReproduceCommand.writeRecovery(ck, 10_000, g);
        assertEquals(g, ReproduceCommand.readRecovery(ck, 10_000));
        assertNull(ReproduceCommand.readRecovery(ck, 9_999), "another step");
        Files.setLastModifiedTime(ck, FileTime.fromMillis(Files.getLastModifiedTime(ck).toMillis() + 1000));
        assertNull(ReproduceCommand.readRecovery(ck, 10_000), "the checkpoint was rewritten");
        ReproduceCommand.writeRecovery(ck, 10_000, g);
        // Ratios of returns near zero can be infinite or NaN: they are kept as such.
        Recovery.TaskRecovery odd = new Recovery.TaskRecovery("goal", 0, 0, 0, 0, Double.NaN, Double.POSITIVE_INFINITY, 0);
        ReproduceCommand.writeRecovery(ck, 10_000, odd);
        assertEquals(odd, ReproduceCommand.readRecovery(ck, 10_000));
        Files.writeString(ReproduceCommand.recoveryFile(ck), "{not json");
        assertNull(ReproduceCommand.readRecovery(ck, 10_000), "an unreadable file is measured again");
    }
}
