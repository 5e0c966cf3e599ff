package policyzip.backend;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.function.Consumer;

/** Test backends that are wrong on purpose: a real backend whose one operation's output is altered after each call. */
public final class Corrupted {
    private Corrupted() {}

    /**
     * {@code be}, except that after every call of {@code method}, the buffer passed as argument {@code output} is read,
     * given to {@code alter} and written back. Closing the result closes {@code be}.
     */
    public static Backend backend(Backend be, String method, int output, Consumer<float[]> alter) {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, m, args) -> {
            Object res;
            try {
                res = m.invoke(be, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (m.getName().equals(method)) {
                Buffer out = (Buffer) args[output];
                float[] a = new float[out.length()];
                be.read(out, a, 0);
                alter.accept(a);
                be.write(out, a, 0);
            }
            return res;
        });
    }
}
