package policyzip.backend.cuda;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * The address a JCuda {@link CUdeviceptr} stands for (JCuda keeps a native base and a byte offset, neither public), and
 * back: for the emulator, whose device pointers are host addresses, and for {@link Cublas}, which passes device
 * addresses to cuBLAS's C API through java.lang.foreign. Touches only JCuda's Java classes, never its natives.
 */
final class DevicePointers {
    private static final MethodHandle NATIVE_POINTER, BYTE_OFFSET;

    static {
        try {
            NATIVE_POINTER = MethodHandles.privateLookupIn(NativePointerObject.class, MethodHandles.lookup())
                    .findVirtual(NativePointerObject.class, "getNativePointer", MethodType.methodType(long.class));
            BYTE_OFFSET = MethodHandles.privateLookupIn(Pointer.class, MethodHandles.lookup())
                    .findVirtual(Pointer.class, "getByteOffset", MethodType.methodType(long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private DevicePointers() {}

    static long address(CUdeviceptr p) {
        try {
            return (long) NATIVE_POINTER.invoke(p) + (long) BYTE_OFFSET.invoke(p);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cannot read a CUdeviceptr's address: " + t, t);
        }
    }

    static CUdeviceptr pointer(long address) {
        return new CUdeviceptr().withByteOffset(address);
    }
}
