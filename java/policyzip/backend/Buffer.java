package policyzip.backend;

/**
 * A float32 array owned by a {@link Backend}: host memory on the CPU, device memory on a GPU. Operations take
 * buffers so that a chain of them (a training step) never leaves the device. A buffer may be a slice of a larger
 * one; closing a slice does nothing, closing the root frees the memory.
 */
public interface Buffer extends AutoCloseable {
    /** Number of floats. */
    int length();

    /** A view of {@code [offset, offset + length)} of this buffer, sharing its memory. */
    Buffer slice(int offset, int length);

    @Override void close();
}
