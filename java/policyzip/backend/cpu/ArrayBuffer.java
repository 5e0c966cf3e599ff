package policyzip.backend.cpu;

import java.util.Objects;
import policyzip.backend.Buffer;

/** A {@link Buffer} over a Java float[] region: what {@link CpuBackend} computes on. */
public final class ArrayBuffer implements Buffer {
    final float[] data;
    final int offset;
    private final int length;

    public ArrayBuffer(float[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        this.data = data;
        this.offset = offset;
        this.length = length;
    }

    /** A buffer over the whole array, sharing it (no copy): lets callers on the CPU skip transfers. */
    public static ArrayBuffer wrap(float[] data) {
        return new ArrayBuffer(data, 0, data.length);
    }

    public float[] array() { return data; }
    public int offset() { return offset; }

    @Override public int length() { return length; }

    @Override public Buffer slice(int off, int len) {
        Objects.checkFromIndexSize(off, len, length);
        return new ArrayBuffer(data, offset + off, len);
    }

    @Override public void close() {}
}
