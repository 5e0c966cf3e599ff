package policyzip.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArrayFileTest {
    static Path sample(Path dir) throws Exception {
        JsonObject meta = new JsonObject();
        meta.addProperty("what", "test ✓");
        Path f = dir.resolve("a.pz");
        new ArrayFile.Writer("test", 2, meta)
                .floats("f", new float[] {1.5f, -2f, Float.MIN_VALUE, 3f, 4f, 5f}, 2, 3)
                .doubles("d", new double[] {Math.PI})
                .longs("l", new long[] {Long.MIN_VALUE, 7})
                .ints("i", new int[0])
                .write(f);
        return f;
    }

    @Test
    void roundTrip(@TempDir Path dir) throws Exception {
        ArrayFile a = ArrayFile.read(sample(dir), "test", 2);
        assertEquals("test ✓", a.meta().get("what").getAsString());
        assertArrayEquals(new float[] {1.5f, -2f, Float.MIN_VALUE, 3f, 4f, 5f}, a.floats("f"));
        assertArrayEquals(new long[] {2, 3}, a.shape("f"));
        assertArrayEquals(new double[] {Math.PI}, a.doubles("d"));
        assertArrayEquals(new long[] {Long.MIN_VALUE, 7}, a.longs("l"));
        assertEquals(0, a.ints("i").length);
        assertEquals(2, a.version());
        var e = assertThrows(InvalidFileException.class, () -> a.ints("f"));
        assertTrue(e.getMessage().contains("F32"), e.getMessage());
        assertThrows(InvalidFileException.class, () -> a.floats("nope"));
        // No temporary files are left beside it.
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
    }

    static void expect(Path f, String kind, int max, String... words) {
        var e = assertThrows(InvalidFileException.class, () -> ArrayFile.read(f, kind, max));
        assertTrue(e.getMessage().startsWith(f.toString()), "message must name the file: " + e.getMessage());
        for (String w : words) assertTrue(e.getMessage().contains(w), "expected '" + w + "' in: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void everyCorruptionIsOneClearError(@TempDir Path dir) throws Exception {
        Path good = sample(dir);
        byte[] bytes = Files.readAllBytes(good);
        Path f = dir.resolve("bad.pz");

        expect(dir.resolve("missing.pz"), "test", 2, "does not exist");
        Files.write(f, new byte[0]);
        expect(f, "test", 2, "too short");
        Files.write(f, Arrays.copyOf(bytes, bytes.length - 100));
        expect(f, "test", 2, "truncated");
        Files.write(f, Arrays.copyOf(bytes, bytes.length - 1));
        expect(f, "test", 2, "truncated");
        Files.writeString(f, "{\"this\": \"is json, not a PolicyZip file\"} padding padding padding");
        expect(f, "test", 2, "not a PolicyZip file");
        expect(good, "dataset", 1, "'test' file", "not a dataset");
        expect(good, "test", 1, "version 2", "newer", "upgrade");
        for (int pos : new int[] {30, bytes.length / 2, bytes.length - 20}) {
            byte[] flipped = bytes.clone();
            flipped[pos] ^= 0x10;
            Files.write(f, flipped);
            expect(f, "test", 2, "corrupt");
        }
        // A damaged header length, with a checksum that still matches, is caught by the bounds checks.
        byte[] h = bytes.clone();
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 1 << 30);
        Files.write(f, withChecksum(h));
        expect(f, "test", 2, "header length");
    }

    static byte[] withChecksum(byte[] b) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, 0, b.length - 16);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(b.length - 16, crc.getValue());
        return b;
    }

    @Test
    void writerRejectsWrongShapes(@TempDir Path dir) {
        var e = assertThrows(IllegalArgumentException.class, () -> new ArrayFile.Writer("t", 1, null).floats("x", new float[5], 2, 3));
        assertTrue(e.getMessage().contains("needs 6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ArrayFile.Writer("much-too-long", 1, null));
    }
}
