package policyzip.backend.cuda;

import java.util.Objects;
import jcuda.driver.CUdeviceptr;
import policyzip.backend.Buffer;

/**
 * A {@link Buffer} in device memory, owned by a {@link CudaBackend}: a root owns its allocation (closing it frees
 * the memory, once), a slice is a view that shares it (closing a slice does nothing). Roots still open when the
 * backend closes are freed then, so a forgotten buffer cannot outlive its context.
 */
public final class DeviceBuffer implements Buffer {
    private final CudaBackend owner;
    private final CUdeviceptr base;      // the root's allocation (null pointer for length 0)
    private final long offset;           // in floats, from base
    private final int length;
    private final boolean root;
    private boolean closed;

    DeviceBuffer(CudaBackend owner, CUdeviceptr base, long offset, int length, boolean root) {
        this.owner = owner;
        this.base = base;
        this.offset = offset;
        this.length = length;
        this.root = root;
    }

    /** The device address of element 0. */
    CUdeviceptr ptr() {
        if (closed) throw new IllegalStateException("device buffer of " + length + " floats used after close()");
        return offset == 0 ? base : base.withByteOffset(offset * Float.BYTES);
    }

    CudaBackend owner() { return owner; }
    CUdeviceptr base() { return base; }

    @Override public int length() { return length; }

    @Override public Buffer slice(int off, int len) {
        Objects.checkFromIndexSize(off, len, length);
        return new DeviceBuffer(owner, base, offset + off, len, false);
    }

    @Override public void close() {
        if (!root || closed) return;
        closed = true;
        owner.free(this);
    }
}
