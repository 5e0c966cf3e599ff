package policyzip.env.mujoco;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The binding's set-up checks: each broken installation gives one line naming what is wrong and how to fix it. */
class MujocoLibraryTest {

    private static Path real() {
        return MujocoLibrary.get().libraryFile().getParent().getParent();
    }

    @Test
    void loadsTheVersionItWasBuiltFor() {
        MujocoLibrary lib = MujocoLibrary.get();
        assertEquals(MujocoLibrary.EXPECTED_VERSION, lib.versionString());
        assertEquals(3014000, lib.version());
        MjModel m = lib.model("hopper.xml");
        assertEquals(6, m.nq());
        assertEquals(6, m.nv());
        assertEquals(3, m.nu());
        assertEquals(0.002, m.timestep(), 0.0);
        assertEquals(m, lib.model("hopper.xml"), "one shared model per XML");
        assertTrue(MujocoLibrary.describe().startsWith("MuJoCo 3.14.0 (mj_version 3014000)"), MujocoLibrary.describe());
    }

    @Test
    void dataIsFreedOnceAndRefusedAfterClose() {
        MjModel m = MujocoLibrary.get().model("inverted_pendulum.xml");
        MjData d = m.makeData();
        d.qpos(1, 0.1);
        d.step();
        assertTrue(d.time() > 0 && d.qpos(1) != 0.1, "stepped");
        d.close();
        d.close();
        assertThrows(IllegalStateException.class, d::step);
        assertThrows(IllegalStateException.class, () -> d.qpos(0));
    }

    @Test
    void unknownBodyIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MujocoLibrary.get().model("reacher.xml").bodyId("nose"));
        assertEquals("model reacher.xml has no body 'nose'", e.getMessage());
    }

    @Test
    void emptyFolder(@TempDir Path dir) {
        String msg = assertThrows(MujocoUnavailableException.class, () -> MujocoLibrary.load(dir)).getMessage();
        assertEquals("no libmujoco.so in " + dir.resolve("lib") + "; " + MujocoLibrary.SETUP, msg);
    }

    @Test
    void notALibrary(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("lib/libmujoco.so.3.14.0"), "not an ELF file");
        String msg = assertThrows(MujocoUnavailableException.class, () -> MujocoLibrary.load(dir)).getMessage();
        assertTrue(msg.startsWith("cannot load " + dir.resolve("lib/libmujoco.so.3.14.0")) && msg.endsWith(MujocoLibrary.SETUP), msg);
        assertEquals(1, msg.lines().count(), msg);
    }

    @Test
    void versionWithoutOffsetTable(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("lib"));
        Files.copy(MujocoLibrary.get().libraryFile(), dir.resolve("lib/libmujoco.so.3.14.0"));
        Files.writeString(dir.resolve("offsets-2002002.properties"), "version=2002002\n");
        String msg = assertThrows(MujocoUnavailableException.class, () -> MujocoLibrary.load(dir)).getMessage();
        assertEquals("MuJoCo 3.14.0 (mj_version 3014000) has no struct-offset table in " + dir + " (tables for: 2002002); " + MujocoLibrary.SETUP, msg);
    }

    @Test
    void damagedOffsetTable(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("lib"));
        Files.copy(MujocoLibrary.get().libraryFile(), dir.resolve("lib/libmujoco.so.3.14.0"));
        String table = Files.readString(real().resolve("offsets-3014000.properties"));
        Files.writeString(dir.resolve("offsets-3014000.properties"), table.replaceAll("(?m)^mjData\\.xpos=.*$", ""));
        String msg = assertThrows(MujocoUnavailableException.class, () -> MujocoLibrary.load(dir)).getMessage();
        assertTrue(msg.contains("offsets-3014000.properties is damaged (no entry mjData.xpos)"), msg);
    }

    @Test
    void missingModelFile(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("lib"));
        Files.copy(MujocoLibrary.get().libraryFile(), dir.resolve("lib/libmujoco.so.3.14.0"));
        Files.copy(real().resolve("offsets-3014000.properties"), dir.resolve("offsets-3014000.properties"));
        MujocoLibrary lib = MujocoLibrary.load(dir);
        String msg = assertThrows(MujocoUnavailableException.class, () -> lib.model("hopper.xml")).getMessage();
        assertEquals("model file " + dir.resolve("assets/hopper.xml") + " is missing; " + MujocoLibrary.SETUP, msg);
        Files.createDirectories(dir.resolve("assets"));
        Files.writeString(dir.resolve("assets/hopper.xml"), "<mujoco><worldbody><body></mujoco>");
        msg = assertThrows(MujocoUnavailableException.class, () -> lib.model("hopper.xml")).getMessage();
        assertTrue(msg.startsWith("MuJoCo cannot load " + dir.resolve("assets/hopper.xml") + ": "), msg);
    }
}
