package policyzip.ae;

import java.util.Arrays;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.backend.Shapes;
import policyzip.dataset.Dataset;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

/**
 * The policy autoencoder (SPEC.md section 2, step 2): encoder f: θ → z ∈ R^K and decoder g: z → θ' ∈ R^P, both MLPs of
 * dense layers with shared weights on a {@link Backend}: ReLU hidden layers, linear latent and output.
 *
 * <p>Standardisation: the encoder reads {@code x = (θ − μ) / σ} and the decoder writes standardised coordinates
 * {@code u}, de-standardised to {@code θ' = μ + σ·u}; μ, σ [P] are per-coordinate statistics of the training policies.
 *
 * <p>Parameters: one flat vector (so one Adam call updates all), encoder layers then decoder layers, each
 * {@code W[out][in]} row-major then {@code b[out]}; initialised uniform in ±1/sqrt(fan_in) (PyTorch's default) by
 * the counter-based generator of {@link PolicyInit} from a seed. Work buffers are sized for a maximum batch.
 *
 * <p>Not thread-safe: one training loop or one decoding caller at a time (the embedding API keeps its own copies).
 */
public final class Autoencoder implements AutoCloseable {
    private final Backend be;
    private final MlpSpec policy;
    private final int p, k, maxBatch;
    private final int[] sizes;           // [P, encoder hidden..., K, decoder hidden..., P]
    private final int encoderLayers;
    private final int[] wOff, bOff;      // per layer, into the flat parameter vector
    private final int paramCount;
    private final Buffer params, grads, invStd, negMeanOverStd, std, mean;
    private final Buffer[] acts;         // acts[0] = x [B, P]; acts[l + 1] = output of layer l [B, sizes[l+1]]
    private final Buffer[] dActs;        // gradients w.r.t. acts, same shapes
    private final Buffer decoded;        // θ' [B, P]

    /** The layer widths [P, encoder hidden..., K, decoder hidden..., P]. */
    public static int[] layerSizes(int p, int[] encoderHidden, int k, int[] decoderHidden) {
        int[] sizes = new int[encoderHidden.length + decoderHidden.length + 3];
        int s = 0;
        sizes[s++] = p;
        for (int h : encoderHidden) sizes[s++] = h;
        sizes[s++] = k;
        for (int h : decoderHidden) sizes[s++] = h;
        sizes[s] = p;
        return sizes;
    }

    /**
     * An autoencoder for policies {@code policy}, latent size {@code k}, hidden sizes of the encoder and decoder,
     * standardisation μ, σ [P] and initial parameters (null: drawn from {@code seed}).
     */
    public Autoencoder(Backend be, MlpSpec policy, int k, int[] encoderHidden, int[] decoderHidden, float[] mu, float[] sigma,
                       float[] initial, long seed, int maxBatch) {
        if (k < 1) throw new IllegalArgumentException("latent size K must be >= 1, got " + k);
        if (maxBatch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + maxBatch);
        this.be = be;
        this.policy = policy;
        this.p = policy.paramCount();
        this.k = k;
        this.maxBatch = maxBatch;
        if (mu.length != p || sigma.length != p) {
            throw new IllegalArgumentException("standardisation has " + mu.length + " means and " + sigma.length + " scales; the policy has P = " + p);
        }
        for (int i = 0; i < p; i++) {
            if (!(sigma[i] > 0) || !Float.isFinite(sigma[i]) || !Float.isFinite(mu[i])) {
                throw new IllegalArgumentException("standardisation of coordinate " + i + " is invalid (mean " + mu[i] + ", scale " + sigma[i] + ")");
            }
        }
        sizes = layerSizes(p, encoderHidden, k, decoderHidden);
        for (int v : sizes) if (v < 1) throw new IllegalArgumentException("layer sizes must be >= 1: " + Arrays.toString(sizes));
        encoderLayers = encoderHidden.length + 1;
        int layers = sizes.length - 1;
        wOff = new int[layers];
        bOff = new int[layers];
        long off = 0;
        for (int l = 0; l < layers; l++) {
            wOff[l] = (int) off;
            off += (long) sizes[l] * sizes[l + 1];
            bOff[l] = (int) off;
            off += sizes[l + 1];
            if (off > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("autoencoder too large: " + off + " parameters");
        }
        paramCount = (int) off;
        float[] init = initial != null ? initial : initialParameters(seed);
        if (init.length != paramCount) {
            throw new IllegalArgumentException("autoencoder parameters have " + init.length + " floats; this architecture needs " + paramCount);
        }
        params = be.upload(init);
        grads = be.allocate(paramCount);
        float[] inv = new float[p], shift = new float[p];
        for (int i = 0; i < p; i++) {
            inv[i] = 1f / sigma[i];
            shift[i] = -mu[i] / sigma[i];
        }
        invStd = be.upload(inv);
        negMeanOverStd = be.upload(shift);
        std = be.upload(sigma);
        mean = be.upload(mu);
        acts = new Buffer[sizes.length];
        dActs = new Buffer[sizes.length];
        for (int l = 0; l < sizes.length; l++) {
            acts[l] = be.allocate(maxBatch * sizes[l]);
            dActs[l] = be.allocate(maxBatch * sizes[l]);
        }
        decoded = be.allocate(maxBatch * p);
    }

    /** PyTorch's default initialisation, counter-based: layer l's parameters from seed + l. */
    private float[] initialParameters(long seed) {
        float[] w = new float[paramCount];
        for (int l = 0; l < sizes.length - 1; l++) {
            float bound = PolicyInit.bound(sizes[l]);
            long ls = PolicyInit.mix64(seed + l);
            for (int i = wOff[l], end = bOff[l] + sizes[l + 1]; i < end; i++) w[i] = PolicyInit.sample(ls, i - wOff[l], bound);
        }
        return w;
    }

    public MlpSpec policy() { return policy; }
    public int latent() { return k; }
    public int paramCount() { return paramCount; }
    public int maxBatch() { return maxBatch; }
    public Buffer params() { return params; }
    public Buffer grads() { return grads; }
    /** The architecture, [P, encoder hidden..., K, decoder hidden..., P]. */
    public int[] sizes() { return sizes.clone(); }
    public int encoderLayers() { return encoderLayers; }

    private Activation act(int l) {
        return l == encoderLayers - 1 || l == sizes.length - 2 ? Activation.IDENTITY : Activation.RELU;
    }

    private Buffer rows(Buffer b, int batch, int width) {
        return batch == maxBatch ? b : b.slice(0, batch * width);
    }

    private Buffer w(int l) { return params.slice(wOff[l], sizes[l] * sizes[l + 1]); }
    private Buffer bias(int l) { return params.slice(bOff[l], sizes[l + 1]); }

    private void checkBatch(int batch) {
        if (batch < 1 || batch > maxBatch) throw new IllegalArgumentException("batch " + batch + " outside [1, " + maxBatch + "]");
    }

    /** Encodes and decodes θ [B, P]: afterwards {@link #latentOf} and {@link #decoded} hold z [B, K] and θ' [B, P]. */
    public void forward(Buffer theta, int batch) {
        checkBatch(batch);
        be.columnAffine(theta, batch, p, invStd, negMeanOverStd, rows(acts[0], batch, p));
        for (int l = 0; l < sizes.length - 1; l++) layerForward(l, batch);
        be.columnAffine(rows(acts[sizes.length - 1], batch, p), batch, p, std, mean, rows(decoded, batch, p));
    }

    /** Decodes z [B, K] into θ' [B, P] ({@link #decoded}). */
    public void decode(Buffer z, int batch) {
        checkBatch(batch);
        Shapes.length("z", z, (long) batch * k, "[B=" + batch + ", K=" + k + "]");
        be.denseForward(z, batch, k, w(encoderLayers), bias(encoderLayers), sizes[encoderLayers + 1], act(encoderLayers),
                rows(acts[encoderLayers + 1], batch, sizes[encoderLayers + 1]));
        for (int l = encoderLayers + 1; l < sizes.length - 1; l++) layerForward(l, batch);
        be.columnAffine(rows(acts[sizes.length - 1], batch, p), batch, p, std, mean, rows(decoded, batch, p));
    }

    private void layerForward(int l, int batch) {
        be.denseForward(rows(acts[l], batch, sizes[l]), batch, sizes[l], w(l), bias(l), sizes[l + 1], act(l),
                rows(acts[l + 1], batch, sizes[l + 1]));
    }

    /** z [B, K] of the last {@link #forward}. */
    public Buffer latentOf(int batch) { return rows(acts[encoderLayers], batch, k); }

    /** θ' [B, P] of the last forward or decode. */
    public Buffer decoded(int batch) { return rows(decoded, batch, p); }

    /** The standardised input x [B, P] and output u [B, P] of the last forward (the parameter-loss ablation compares them). */
    public Buffer standardisedInput(int batch) { return rows(acts[0], batch, p); }
    public Buffer standardisedOutput(int batch) { return rows(acts[sizes.length - 1], batch, p); }

    /** From dL/dθ' [B, P] of the last forward, writes dL/d(parameters) into {@link #grads()}. */
    public void backwardFromDecoded(Buffer dDecoded, int batch) {
        checkBatch(batch);
        backwardLayers(destandardiseGradient(dDecoded, batch), batch, 0, null, null);
    }

    /** From dL/du [B, P] (u the standardised output) of the last forward, writes dL/d(parameters) into {@link #grads()}. */
    public void backwardFromStandardisedOutput(Buffer du, int batch) {
        checkBatch(batch);
        backwardLayers(du, batch, 0, null, null);
    }

    /**
     * The decoder's vector-Jacobian product: from dL/dθ' [B, P] of the last {@link #decode}{@code (z, batch)}, writes
     * dL/dz = (∂g/∂z)ᵀ dL/dθ' [B, K] into {@code dz} (latent search, SPEC.md section 2, step 4). The same backward as
     * training's, stopped at the latent layer; it also overwrites the decoder's part of {@link #grads()}.
     */
    public void backwardToLatent(Buffer z, Buffer dDecoded, int batch, Buffer dz) {
        checkBatch(batch);
        Shapes.length("z", z, (long) batch * k, "[B=" + batch + ", K=" + k + "]");
        Shapes.length("dz", dz, (long) batch * k, "[B=" + batch + ", K=" + k + "]");
        backwardLayers(destandardiseGradient(dDecoded, batch), batch, encoderLayers, z, dz);
    }

    /** dL/du = σ ⊙ dL/dθ' (θ' = μ + σ·u), into the output layer's gradient buffer. */
    private Buffer destandardiseGradient(Buffer dDecoded, int batch) {
        Buffer du = rows(dActs[sizes.length - 1], batch, p);
        be.columnAffine(dDecoded, batch, p, std, null, du);
        return du;
    }

    /**
     * Backward through layers last..{@code first} from dL/du: each layer's weight and bias gradients into {@link #grads()};
     * layer {@code first} reads {@code input} (null: its cached activations) and writes dL/d(input) into {@code dInput}
     * (may be null).
     */
    private void backwardLayers(Buffer du, int batch, int first, Buffer input, Buffer dInput) {
        Buffer dy = du;
        for (int l = sizes.length - 2; l >= first; l--) {
            Buffer x = l == first && input != null ? input : rows(acts[l], batch, sizes[l]);
            Buffer dx = l == first ? dInput : rows(dActs[l], batch, sizes[l]);
            be.denseBackward(x, batch, sizes[l], w(l), sizes[l + 1], act(l), rows(acts[l + 1], batch, sizes[l + 1]),
                    dy, grads.slice(wOff[l], sizes[l] * sizes[l + 1]), grads.slice(bOff[l], sizes[l + 1]), dx);
            dy = dx;
        }
    }

    /** Encodes every policy of {@code ds}: z [N, K], in batches of {@link #maxBatch()}. */
    public float[] encodeDataset(Dataset ds) {
        int n = ds.size(), b = maxBatch;
        float[] z = new float[n * k], th = new float[b * p], zb = new float[b * k];
        try (Buffer tb = be.allocate(b * p)) {
            for (int from = 0; from < n; from += b) {
                int c = Math.min(b, n - from);
                ds.thetas(from, c, th);
                Buffer t = tb.slice(0, c * p);
                be.write(t, Arrays.copyOf(th, c * p), 0);
                forward(t, c);
                be.read(latentOf(c), zb, 0);
                System.arraycopy(zb, 0, z, from * k, c * k);
            }
        }
        return z;
    }

    /** A copy of the parameters on the host. */
    public float[] parametersToHost() {
        float[] h = new float[paramCount];
        be.read(params, h, 0);
        return h;
    }

    @Override public void close() {
        params.close();
        grads.close();
        invStd.close();
        negMeanOverStd.close();
        std.close();
        mean.close();
        for (Buffer b : acts) b.close();
        for (Buffer b : dActs) b.close();
        decoded.close();
    }
}
