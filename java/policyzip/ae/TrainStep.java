package policyzip.ae;

import policyzip.backend.AdamConfig;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.dataset.PolicyRefs;
import policyzip.policy.MlpSpec;

/**
 * One autoencoder training step on a {@link Backend}, with the buffers it needs: θ [B, P] from seeds (and the states [M, O]),
 * encode and decode, the loss and its gradient back to every autoencoder parameter, one Adam step. Shared by the
 * {@link Trainer} and the training benchmarks, so both time the same work.
 */
public final class TrainStep implements AutoCloseable {
    private final Backend be;
    private final Autoencoder ae;
    private final MlpSpec mlp;
    private final TrainConfig.Loss loss;
    private final AdamConfig adam;
    private final int b, m;
    private float[] hostTheta;   // only for batches holding mutated policies
    final Buffer adamM, adamV, theta, states, target, pred, dPred, cache, dTheta;

    /** A step for {@code ae} (batch {@code ae.maxBatch()}), M states per step, Adam moments (null: zeros). */
    public TrainStep(Backend be, Autoencoder ae, TrainConfig.Loss loss, float lr, int states, float[] m0, float[] v0) {
        this.be = be;
        this.ae = ae;
        this.mlp = ae.policy();
        this.loss = loss;
        this.adam = AdamConfig.defaults(lr);
        this.b = ae.maxBatch();
        this.m = states;
        int p = mlp.paramCount(), a = mlp.actDim();
        adamM = m0 == null ? be.allocate(ae.paramCount()) : be.upload(m0);
        adamV = v0 == null ? be.allocate(ae.paramCount()) : be.upload(v0);
        theta = be.allocate(b * p);
        this.states = be.allocate(m * mlp.obsDim());
        target = be.allocate(b * m * a);
        pred = be.allocate(b * m * a);
        dPred = be.allocate(b * m * a);
        cache = be.allocate(b * mlp.hiddenUnits() * m);
        dTheta = be.allocate(b * p);
    }

    public Autoencoder autoencoder() { return ae; }

    /**
     * Step t (>= 1) on training policies {@code index[0..B)} of {@code refs}, their θ [B, P] regenerated on the backend
     * ({@link PolicyRefs#load}: from the seeds on the device when none is mutated, so only seeds and the M states cross
     * the bus), and, for the behavioural loss, states [M, O]; returns the loss before the update.
     */
    public double run(int t, PolicyRefs refs, float mutationSigma, int[] index, float[] statesHost) {
        if (index.length < b) throw new IllegalArgumentException("a step needs B = " + b + " policy indices, got " + index.length);
        hostTheta = refs.load(be, mlp, mutationSigma, index, b, theta, hostTheta);
        return run(t, statesHost);
    }

    /** Step t (>= 1) on θ [B, P] already in {@link #theta()}; see {@link #run(int, PolicyRefs, float, int[], float[])}. */
    public double run(int t, float[] statesHost) {
        ae.forward(theta, b);
        double l;
        if (loss == TrainConfig.Loss.BEHAVIOURAL) {
            be.write(states, statesHost, 0);
            l = Trainer.behavioural(be, mlp, ae, theta, b, states, m, target, pred, dPred, cache, dTheta);
        } else {
            l = be.meanSquaredError(ae.standardisedOutput(b), ae.standardisedInput(b), dTheta);
            ae.backwardFromStandardisedOutput(dTheta, b);
        }
        if (Double.isFinite(l)) be.adamStep(adam, t, ae.params(), ae.grads(), adamM, adamV);
        return l;
    }

    /** The step's θ [B, P] on the backend. */
    public Buffer theta() { return theta; }

    /** The Adam moments on the host: {m, v}. */
    public float[][] moments() {
        float[] mh = new float[ae.paramCount()], vh = new float[ae.paramCount()];
        be.read(adamM, mh, 0);
        be.read(adamV, vh, 0);
        return new float[][] {mh, vh};
    }

    @Override public void close() {
        for (Buffer x : new Buffer[] {adamM, adamV, theta, states, target, pred, dPred, cache, dTheta}) x.close();
    }

}
