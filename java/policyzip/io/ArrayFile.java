package policyzip.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The container of PolicyZip's durable files (datasets, checkpoints; DESIGN.md, Files): a JSON header and named
 * little-endian arrays, checksummed, written atomically, read by memory mapping.
 *
 * <pre>
 * offset 0   magic    8 bytes  "PZIP" 0x0D 0x0A 0x1A 0x0A   (a text-mode transfer or a foreign file fails here)
 *        8   kind     8 bytes  ASCII, NUL-padded: what the file holds ("dataset", "ckpt")
 *       16   version  u32      format version of that kind
 *       20   hlen     u32      bytes of the UTF-8 JSON header
 *       24   header   hlen     {"meta": {...}, "arrays": [{"name", "dtype", "shape", "offset", "bytes"}, ...]}
 *            padding to a multiple of 64, then each array at its 64-byte-aligned offset
 *  end - 16  crc      u64      CRC-32C of every byte before it (low 32 bits; high 32 bits zero)
 *  end -  8  tail     8 bytes  "PZIPEND\0": a truncated file fails here
 * </pre>
 *
 * Writing goes to a temporary file in the same folder, is forced to disk, then renamed over the target, so a
 * killed process never leaves a half file under the real name. Reading checks, in order: size, magic, kind,
 * version, header, array bounds, tail and checksum; each failure is one {@link InvalidFileException} naming the
 * file and the problem.
 */
public final class ArrayFile {
    static final byte[] MAGIC = {'P', 'Z', 'I', 'P', 0x0D, 0x0A, 0x1A, 0x0A};
    static final byte[] TAIL = {'P', 'Z', 'I', 'P', 'E', 'N', 'D', 0};
    static final int PREFIX = 24, ALIGN = 64, TRAILER = 16;
    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    /** Element types of arrays. */
    public enum DType {
        F32(4), F64(8), I32(4), I64(8), U8(1);
        final int size;
        DType(int size) { this.size = size; }
    }

    private final Path file;
    private final String kind;
    private final int version;
    private final JsonObject meta;
    private final Map<String, Entry> arrays;
    private final ByteBuffer data;

    private record Entry(DType dtype, long[] shape, long offset, long bytes) {}

    private ArrayFile(Path file, String kind, int version, JsonObject meta, Map<String, Entry> arrays, ByteBuffer data) {
        this.file = file;
        this.kind = kind;
        this.version = version;
        this.meta = meta;
        this.arrays = arrays;
        this.data = data;
    }

    public Path file() { return file; }
    public String kind() { return kind; }
    public int version() { return version; }
    /** The free-form part of the header. */
    public JsonObject meta() { return meta; }
    public boolean has(String name) { return arrays.containsKey(name); }
    public java.util.Set<String> arrayNames() { return arrays.keySet(); }

    public long[] shape(String name) { return entry(name, null).shape.clone(); }

    /** A read-only little-endian view of array {@code name}'s bytes. */
    public ByteBuffer bytes(String name) {
        Entry e = entry(name, null);
        if (e.bytes > Integer.MAX_VALUE) throw new InvalidFileException(file, "array '" + name + "' is too large to view at once");
        return data.slice((int) e.offset, (int) e.bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    public float[] floats(String name) {
        Entry e = entry(name, DType.F32);
        float[] out = new float[Math.toIntExact(e.bytes / 4)];
        bytes(name).asFloatBuffer().get(out);
        return out;
    }

    public double[] doubles(String name) {
        Entry e = entry(name, DType.F64);
        double[] out = new double[Math.toIntExact(e.bytes / 8)];
        bytes(name).asDoubleBuffer().get(out);
        return out;
    }

    public long[] longs(String name) {
        Entry e = entry(name, DType.I64);
        long[] out = new long[Math.toIntExact(e.bytes / 8)];
        bytes(name).asLongBuffer().get(out);
        return out;
    }

    public int[] ints(String name) {
        Entry e = entry(name, DType.I32);
        int[] out = new int[Math.toIntExact(e.bytes / 4)];
        bytes(name).asIntBuffer().get(out);
        return out;
    }

    private Entry entry(String name, DType want) {
        Entry e = arrays.get(name);
        if (e == null) throw new InvalidFileException(file, "has no array '" + name + "' (it has " + arrays.keySet() + ")");
        if (want != null && e.dtype != want) {
            throw new InvalidFileException(file, "array '" + name + "' is " + e.dtype + ", expected " + want);
        }
        return e;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Opens and fully verifies {@code file}, which must be of {@code kind} with a version in [1, maxVersion].
     * Throws {@link InvalidFileException} with one line naming the file and what is wrong.
     */
    public static ArrayFile read(Path file, String kind, int maxVersion) {
        long size;
        MappedByteBuffer map;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
            if (size < PREFIX + TRAILER) {
                throw new InvalidFileException(file, "is " + size + " bytes, too short to be a PolicyZip " + kind + " file");
            }
            if (size > Integer.MAX_VALUE) {
                throw new InvalidFileException(file, "is " + size + " bytes; files over 2 GiB are not supported by this version");
            }
            map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (NoSuchFileException e) {
            throw new InvalidFileException(file, "does not exist");
        } catch (IOException e) {
            throw new InvalidFileException(file, "cannot be read: " + e.getMessage());
        }
        ByteBuffer buf = map.order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        buf.get(0, magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new InvalidFileException(file, "is not a PolicyZip file (bad magic number)");
        }
        String fileKind = kindString(buf);
        if (!fileKind.equals(kind)) {
            throw new InvalidFileException(file, "is a PolicyZip '" + fileKind + "' file, not a " + kind + " file");
        }
        int version = buf.getInt(16);
        if (version < 1) throw new InvalidFileException(file, "has an invalid format version " + version);
        if (version > maxVersion) {
            throw new InvalidFileException(file, "has format version " + version + ", newer than this PolicyZip reads (up to "
                    + maxVersion + "); upgrade PolicyZip");
        }
        byte[] tail = new byte[8];
        buf.get((int) size - 8, tail);
        if (!java.util.Arrays.equals(tail, TAIL)) {
            throw new InvalidFileException(file, "is truncated or damaged (no end marker; was its writer killed, or the copy cut short?)");
        }
        int hlen = buf.getInt(20);
        if (hlen < 2 || PREFIX + (long) hlen > size - TRAILER) {
            throw new InvalidFileException(file, "has a damaged header length (" + hlen + " bytes in a " + size + "-byte file)");
        }
        long stored = buf.getLong((int) size - 16);
        CRC32C crc = new CRC32C();
        crc.update(buf.slice(0, (int) size - 16));
        if (crc.getValue() != stored) {
            throw new InvalidFileException(file, String.format("is corrupt: checksum mismatch (stored %08x, computed %08x)", stored, crc.getValue()));
        }
        byte[] hb = new byte[hlen];
        buf.get(PREFIX, hb);
        JsonObject header;
        try {
            header = JsonParser.parseString(new String(hb, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new InvalidFileException(file, "has an unreadable header: " + e.getMessage());
        }
        Map<String, Entry> arrays = new LinkedHashMap<>();
        long dataStart = align(PREFIX + (long) hlen), dataEnd = size - TRAILER;
        try {
            for (JsonElement el : header.getAsJsonArray("arrays")) {
                JsonObject a = el.getAsJsonObject();
                String name = a.get("name").getAsString();
                DType dt = DType.valueOf(a.get("dtype").getAsString());
                JsonArray sh = a.getAsJsonArray("shape");
                long[] shape = new long[sh.size()];
                long count = 1;
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = sh.get(i).getAsLong();
                    if (shape[i] < 0) throw new InvalidFileException(file, "array '" + name + "' has a negative dimension");
                    count = Math.multiplyExact(count, shape[i]);
                }
                long off = a.get("offset").getAsLong(), bytes = a.get("bytes").getAsLong();
                if (bytes != count * dt.size || off < dataStart || off % ALIGN != 0 || off + bytes > dataEnd) {
                    throw new InvalidFileException(file, "array '" + name + "' lies outside the file or disagrees with its shape");
                }
                arrays.put(name, new Entry(dt, shape, off, bytes));
            }
        } catch (RuntimeException e) {
            if (e instanceof InvalidFileException ife) throw ife;
            throw new InvalidFileException(file, "has a malformed array table: " + e.getMessage());
        }
        JsonObject meta = header.has("meta") && header.get("meta").isJsonObject() ? header.getAsJsonObject("meta") : new JsonObject();
        return new ArrayFile(file, kind, version, meta, arrays, buf.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    private static String kindString(ByteBuffer buf) {
        StringBuilder s = new StringBuilder();
        for (int i = 8; i < 16; i++) {
            byte b = buf.get(i);
            if (b == 0) break;
            s.append(b >= 32 && b < 127 ? (char) b : '?');
        }
        return s.toString();
    }

    static long align(long x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

    // ---------------------------------------------------------------- writing

    /** Collects a header and arrays, then {@link #write}s them in one atomic step. */
    public static final class Writer {
        private final String kind;
        private final int version;
        private final JsonObject meta;
        private final Map<String, Object[]> arrays = new LinkedHashMap<>(); // name -> {DType, long[] shape, Object data}

        public Writer(String kind, int version, JsonObject meta) {
            if (kind.isEmpty() || kind.length() > 8 || !kind.chars().allMatch(c -> c >= 32 && c < 127)) {
                throw new IllegalArgumentException("file kind must be 1-8 ASCII characters: '" + kind + "'");
            }
            this.kind = kind;
            this.version = version;
            this.meta = meta == null ? new JsonObject() : meta;
        }

        public Writer floats(String name, float[] v, long... shape) { return put(name, DType.F32, v, v.length, shape); }
        public Writer doubles(String name, double[] v, long... shape) { return put(name, DType.F64, v, v.length, shape); }
        public Writer longs(String name, long[] v, long... shape) { return put(name, DType.I64, v, v.length, shape); }
        public Writer ints(String name, int[] v, long... shape) { return put(name, DType.I32, v, v.length, shape); }

        private Writer put(String name, DType dt, Object v, int len, long[] shape) {
            long[] sh = shape.length == 0 ? new long[] {len} : shape;
            long count = 1;
            for (long d : sh) count *= d;
            if (count != len) {
                throw new IllegalArgumentException("array '" + name + "' has " + len + " elements, its shape " + java.util.Arrays.toString(sh)
                        + " needs " + count);
            }
            if (arrays.put(name, new Object[] {dt, sh, v}) != null) throw new IllegalArgumentException("array '" + name + "' given twice");
            return this;
        }

        /** Writes the file atomically: temporary file in the same folder, fsync, rename over {@code file}. */
        public void write(Path file) throws IOException {
            JsonObject header = new JsonObject();
            header.add("meta", meta);
            JsonArray table = new JsonArray();
            // Offsets depend on the header length, which depends on the offsets' digits: iterate to a fixed point.
            long[] offsets = new long[arrays.size()];
            byte[] hb = new byte[0];
            for (int pass = 0; pass < 4; pass++) {
                table = new JsonArray();
                long off = align(PREFIX + (long) hb.length);
                int i = 0;
                for (var e : arrays.entrySet()) {
                    DType dt = (DType) e.getValue()[0];
                    long[] shape = (long[]) e.getValue()[1];
                    long bytes = (long) java.lang.reflect.Array.getLength(e.getValue()[2]) * dt.size;
                    offsets[i++] = off;
                    JsonObject a = new JsonObject();
                    a.addProperty("name", e.getKey());
                    a.addProperty("dtype", dt.name());
                    a.add("shape", GSON.toJsonTree(shape));
                    a.addProperty("offset", off);
                    a.addProperty("bytes", bytes);
                    table.add(a);
                    off = align(off + bytes);
                }
                header.add("arrays", table);
                byte[] next = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
                if (align(PREFIX + (long) next.length) == align(PREFIX + (long) hb.length) && pass > 0) { hb = next; break; }
                hb = next;
            }
            long end = offsets.length == 0 ? align(PREFIX + (long) hb.length)
                    : table.get(offsets.length - 1).getAsJsonObject().get("offset").getAsLong()
                    + table.get(offsets.length - 1).getAsJsonObject().get("bytes").getAsLong();
            long size = end + TRAILER;
            if (size > Integer.MAX_VALUE) throw new IOException("file would be " + size + " bytes; over 2 GiB is not supported yet");
            ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            buf.put(MAGIC);
            byte[] k = new byte[8];
            System.arraycopy(kind.getBytes(StandardCharsets.US_ASCII), 0, k, 0, kind.length());
            buf.put(k).putInt(version).putInt(hb.length).put(hb);
            int i = 0;
            for (var e : arrays.values()) {
                buf.position((int) offsets[i++]);
                Object v = e[2];
                switch ((DType) e[0]) {
                    case F32 -> buf.asFloatBuffer().put((float[]) v);
                    case F64 -> buf.asDoubleBuffer().put((double[]) v);
                    case I32 -> buf.asIntBuffer().put((int[]) v);
                    case I64 -> buf.asLongBuffer().put((long[]) v);
                    case U8 -> buf.put((byte[]) v);
                }
            }
            CRC32C crc = new CRC32C();
            crc.update(buf.array(), 0, (int) end);
            buf.putLong((int) end, crc.getValue());
            buf.position((int) end + 8);
            buf.put(TAIL);
            writeAtomically(file, buf.array());
        }
    }

    /** Temporary file beside {@code file}, forced to disk, renamed over it. */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        // Not Files.createTempFile: its owner-only permissions would carry over to the renamed file.
        Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
