package policyzip.search;

import policyzip.backend.AdamConfig;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;

/**
 * Adam on a host vector, maximising: the backend's {@link Backend#adamStep} (which descends) on the negated gradient.
 * Owns its moment buffers; one per optimised vector.
 */
final class AscentAdam implements AutoCloseable {
    private final Backend be;
    private final AdamConfig cfg;
    private final Buffer param, grad, m, v;
    private final float[] negated;
    private int t;

    AscentAdam(Backend be, float lr, int n) {
        this.be = be;
        this.cfg = AdamConfig.defaults(lr);
        param = be.allocate(n);
        grad = be.allocate(n);
        m = be.allocate(n);
        v = be.allocate(n);
        negated = new float[n];
    }

    /** One ascent step on {@code x} in place along {@code gradient}. */
    void step(float[] x, float[] gradient) {
        for (int i = 0; i < negated.length; i++) negated[i] = -gradient[i];
        be.write(param, x, 0);
        be.write(grad, negated, 0);
        be.adamStep(cfg, ++t, param, grad, m, v);
        be.read(param, x, 0);
    }

    @Override public void close() {
        param.close();
        grad.close();
        m.close();
        v.close();
    }
}
