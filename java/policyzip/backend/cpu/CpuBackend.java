package policyzip.backend.cpu;

import java.util.Arrays;
import policyzip.backend.AdamConfig;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.backend.Shapes;
import policyzip.backend.StateLayout;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

/**
 * The CPU backend: every {@link Backend} operation as blocks of {@link Kernels#gemm} plus element-wise epilogues,
 * parallel over fixed chunks (of policies, rows or columns) so that the result does not depend on the thread
 * count.
 *
 * <p>Inside a policy the activations are feature-major ([units, M]): a layer is {@code C[out, M] = W[out, in] ·
 * X[in, M]}, vectorised across states, which needs no transpose of W and serves small nets (latency, activations)
 * and large ones (register-blocked GEMM) alike.
 */
public final class CpuBackend implements Backend {
    /** States per tile in the forward pass when no activations are kept: bounds the scratch to [max width, 256]. */
    static final int STATE_TILE = 256;
    /** Columns per chunk of the dense-layer and distance operations. */
    static final int COLUMN_CHUNK = 128;
    /** Pool rows per block of the k-NN scan: each block is transposed once and read by every thread. */
    static final int KNN_POOL_BLOCK = 1024;
    /** Largest dz [nOut, M] (floats, 32 KB) for which a policy backward forms dW column by column (see backwardOne). */
    private static final int DW_MATVEC_FLOATS = 8192;

    /** Query rows per parallel chunk of the k-NN scan, fixed so that the work never depends on the thread count. */
    static final int KNN_QUERY_CHUNK = 64;
    /**
     * Pool columns per panel of a transposed block: a panel is [D, 32] contiguous, so the GEMM reads it in order.
     * (A [D, 1024] row-major block would put every row of a column slice 4 KiB apart, in the same L1 set.)
     */
    static final int KNN_PANEL = 32;

    private final Kernels k;
    private final Parallel par;
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /** The kernels {@link KernelsProvider} picked, on {@code threads} threads. */
    public CpuBackend(int threads) {
        this(KernelsProvider.get(), threads);
    }

    public CpuBackend(Kernels kernels, int threads) {
        this.k = kernels;
        this.par = new Parallel(threads);
    }

    public Kernels kernels() { return k; }
    public int threads() { return par.threads(); }

    @Override public String name() { return "cpu-" + k.name(); }

    @Override public String describe() {
        return "CPU, " + par.threads() + " thread" + (par.threads() == 1 ? "" : "s") + ", kernels " + k.name();
    }

    @Override public int concurrentCallers() { return par.threads(); }

    /** Half a megabyte of parameters per group (half of this machine's 1 MB L2 per core), 1 to 1024 policies. */
    @Override public int preferredPolicyGroup(MlpSpec mlp, int statesPerPolicy) {
        return (int) Math.max(1, Math.min(1024, (512L << 10) / (4L * mlp.paramCount())));
    }

    @Override public Buffer allocate(int n) {
        if (n < 0) throw new IllegalArgumentException("buffer length must be >= 0, got " + n);
        return new ArrayBuffer(new float[n], 0, n);
    }

    @Override public void write(Buffer dst, float[] host, int off) {
        ArrayBuffer d = cast(dst);
        System.arraycopy(host, off, d.data, d.offset, d.length());
    }

    @Override public void read(Buffer src, float[] host, int off) {
        ArrayBuffer s = cast(src);
        System.arraycopy(s.data, s.offset, host, off, s.length());
    }

    private static ArrayBuffer cast(Buffer b) {
        if (b == null) return null;
        if (b instanceof ArrayBuffer a) return a;
        throw new IllegalArgumentException("buffer " + b.getClass().getSimpleName() + " belongs to another backend; the CPU backend needs its own buffers");
    }

    /** θ from seeds straight into the buffer, policies in fixed chunks on the backend's threads (bit-identical to the default). */
    @Override public void initPolicies(MlpSpec mlp, long[] seeds, Buffer theta) {
        int p = mlp.paramCount();
        Shapes.initPolicies(mlp, seeds, theta);
        ArrayBuffer t = cast(theta);
        int chunk = (int) Math.max(1, Math.min(seeds.length, (1L << 16) / Math.max(1, p)));
        par.forEach((seeds.length + chunk - 1) / chunk, c -> {
            for (int b = c * chunk, end = Math.min(seeds.length, b + chunk); b < end; b++) {
                for (int l = 0; l < mlp.layers(); l++) {
                    k.uniformPrior(seeds[b], mlp.weightOffset(l), mlp.biasOffset(l) + mlp.out(l), PolicyInit.bound(mlp.in(l)), t.data, t.offset + b * p);
                }
            }
        });
    }

    // ---------------------------------------------------------------- batched policy forward

    @Override
    public void mlpForward(MlpSpec mlp, Buffer theta, int batch, Buffer states, StateLayout layout, int m, Buffer actions,
                           Buffer activations) {
        Shapes.mlp(mlp, theta, batch, states, layout, m, actions, activations);
        ArrayBuffer th = cast(theta), st = cast(states), act = cast(actions), cache = cast(activations);
        int o = mlp.obsDim();
        float[] sharedT = layout == StateLayout.SHARED ? transpose(st.data, st.offset, m, o, null) : null;
        int chunk = policyChunk(mlp, m);
        par.forEach((batch + chunk - 1) / chunk, c -> {
            Scratch s = scratch.get();
            for (int b = c * chunk, end = Math.min(batch, b + chunk); b < end; b++) {
                float[] xT = statesTransposed(sharedT, st, b, m, o, s);
                forwardOne(mlp, th.data, th.offset + b * mlp.paramCount(), xT, m, act.data, act.offset + b * m * mlp.actDim(),
                        cache == null ? null : cache.data, cache == null ? 0 : cache.offset + b * mlp.hiddenUnits() * m, s);
            }
        });
    }

    /** Policies per chunk: enough work per chunk (~1M multiply-adds) to amortise scheduling, never split a policy. */
    private static int policyChunk(MlpSpec mlp, int m) {
        long perPolicy = Math.max(1, mlp.macsPerState() * m);
        return (int) Math.max(1, Math.min(1024, (1L << 20) / perPolicy));
    }

    /** One policy on xT [O, M]; writes actions [M, A] at aOff and, if cache != null, [ΣH, M] at cOff. */
    private void forwardOne(MlpSpec mlp, float[] th, int tOff, float[] xT, int m, float[] actions, int aOff,
                            float[] cache, int cOff, Scratch s) {
        int layers = mlp.layers();
        int a = mlp.actDim();
        int tile = cache != null ? m : Math.min(m, STATE_TILE);
        int width = mlp.maxWidth();
        float[] out = s.get(3, a * tile);
        for (int m0 = 0, mt; m0 < m; m0 += mt) {
            // Never a 1-state tile when m > 1: gemm sums matrix-vector products in another order (Kernels#gemm).
            mt = Math.min(tile, m - m0);
            if (mt < m - m0 && m - m0 - mt == 1) mt--;
            float[] in = xT;
            int inOff = m0, inLd = m;
            int unitOff = 0;
            for (int l = 0; l < layers; l++) {
                boolean last = l == layers - 1;
                float[] dst;
                int dOff, dLd;
                if (last) {
                    dst = out; dOff = 0; dLd = mt;
                } else if (cache != null) {
                    dst = cache; dOff = cOff + unitOff * m; dLd = m;
                } else {
                    dst = s.get(1 + (l & 1), width * tile); dOff = 0; dLd = mt;
                }
                int nOut = mlp.out(l), nIn = mlp.in(l);
                k.gemm(nOut, nIn, mt, th, tOff + mlp.weightOffset(l), nIn, in, inOff, inLd, dst, dOff, dLd);
                k.biasActivate(dst, dOff, nOut, mt, dLd, th, tOff + mlp.biasOffset(l), true,
                        last ? Activation.TANH : mlp.hiddenActivation(), last ? mlp.outputScale() : 1f);
                in = dst; inOff = dOff; inLd = dLd;
                if (!last) unitOff += nOut;
            }
            // out [A, mt] → actions [M, A]
            for (int j = 0; j < mt; j++) {
                for (int q = 0; q < a; q++) actions[aOff + (m0 + j) * a + q] = out[q * mt + j];
            }
        }
    }

    // ---------------------------------------------------------------- batched policy backward

    @Override
    public void mlpBackward(MlpSpec mlp, Buffer theta, int batch, Buffer states, StateLayout layout, int m, Buffer actions,
                            Buffer activations, Buffer dActions, Buffer dTheta, Buffer dStates) {
        Shapes.mlpBackward(mlp, theta, batch, states, layout, m, actions, activations, dActions, dTheta, dStates);
        int o = mlp.obsDim();
        ArrayBuffer th = cast(theta), st = cast(states), act = cast(actions), cache = cast(activations),
                dA = cast(dActions), dTh = cast(dTheta), dS = cast(dStates);
        float[] sharedT = layout == StateLayout.SHARED ? transpose(st.data, st.offset, m, o, null) : null;
        // Shared states: per-policy input gradients, summed in policy order afterwards (thread-count independent).
        float[] perPolicyDs = dS != null && layout == StateLayout.SHARED ? new float[batch * m * o] : null;
        int chunk = policyChunk(mlp, m);
        par.forEach((batch + chunk - 1) / chunk, c -> {
            Scratch s = scratch.get();
            for (int b = c * chunk, end = Math.min(batch, b + chunk); b < end; b++) {
                float[] xT = statesTransposed(sharedT, st, b, m, o, s);
                float[] dsDst = null;
                int dsOff = 0;
                if (dS != null) {
                    if (perPolicyDs != null) { dsDst = perPolicyDs; dsOff = b * m * o; }
                    else { dsDst = dS.data; dsOff = dS.offset + b * m * o; }
                }
                backwardOne(mlp, th.data, th.offset + b * mlp.paramCount(), xT, m,
                        act.data, act.offset + b * m * mlp.actDim(), cache.data, cache.offset + b * mlp.hiddenUnits() * m,
                        dA.data, dA.offset + b * m * mlp.actDim(), dTh.data, dTh.offset + b * mlp.paramCount(), dsDst, dsOff, s);
            }
        });
        if (perPolicyDs != null) {
            int len = m * o;
            float[] d = dS.data;
            for (int i = 0; i < len; i++) d[dS.offset + i] = 0f;
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < len; i++) d[dS.offset + i] += perPolicyDs[b * len + i];
            }
        }
    }

    private void backwardOne(MlpSpec mlp, float[] th, int tOff, float[] xT, int m, float[] actions, int aOff,
                             float[] cache, int cOff, float[] dActions, int dAOff, float[] dTheta, int dtOff,
                             float[] dStates, int dsOff, Scratch s) {
        int layers = mlp.layers();
        int a = mlp.actDim();
        int width = mlp.maxWidth();
        // Output layer: dz [A, M] = dA^T ⊙ d(scale·tanh), expressed through the actions.
        float[] dz = s.get(4, width * m);
        float[] tmp = s.get(5, width * m);
        for (int j = 0; j < m; j++) {
            for (int q = 0; q < a; q++) {
                tmp[q * m + j] = actions[aOff + j * a + q];
                dz[q * m + j] = dActions[dAOff + j * a + q];
            }
        }
        k.activationGrad(tmp, 0, dz, 0, dz, 0, a * m, Activation.TANH, mlp.outputScale());
        int unitEnd = mlp.hiddenUnits();
        for (int l = layers - 1; l >= 0; l--) {
            int nOut = mlp.out(l), nIn = mlp.in(l);
            // Input of layer l, feature-major [nIn, M]: the states or the previous layer's activations.
            float[] x;
            int xOff;
            if (l == 0) { x = xT; xOff = 0; }
            else { x = cache; xOff = cOff + (unitEnd - nIn) * m; }
            // dW [nOut, nIn] = dz [nOut, M] · x^T. While dz fits in L1 (medium nets), column q is the matrix-vector
            // product dz · x[q, :]: both operands are contiguous along M, nothing is transposed, and the sums are those
            // of every matrix-vector product. Larger dz (large nets) would be streamed from L2 once per column: there
            // x is transposed once and one register-tiled product does the layer.
            int wo = dtOff + mlp.weightOffset(l);
            if (nOut * m <= DW_MATVEC_FLOATS) {
                k.gemmNT(nOut, m, nIn, dz, 0, m, x, xOff, m, dTheta, wo, nIn);
            } else {
                float[] xTr = s.get(7, m * nIn);
                transposeInto(x, xOff, nIn, m, xTr);
                k.gemm(nOut, m, nIn, dz, 0, m, xTr, 0, nIn, dTheta, wo, nIn);
            }
            // db = dz · 1, the same way (vectorised; a running scalar sum would be one long dependency chain).
            float[] ones = s.get(6, m);
            java.util.Arrays.fill(ones, 0, m, 1f);
            k.gemm(nOut, m, 1, dz, 0, m, ones, 0, 1, dTheta, dtOff + mlp.biasOffset(l), 1);
            if (l == 0 && dStates == null) break;
            // dx [nIn, M] = W^T [nIn, nOut] · dz [nOut, M], W read in place.
            k.gemmTN(nIn, nOut, m, th, tOff + mlp.weightOffset(l), nIn, dz, 0, m, tmp, 0, m);
            if (l > 0) {
                k.activationGrad(cache, xOff, tmp, 0, dz, 0, nIn * m, mlp.hiddenActivation(), 1f);
                unitEnd -= nIn;
            } else {
                for (int j = 0; j < m; j++) {
                    for (int q = 0; q < nIn; q++) dStates[dsOff + j * nIn + q] = tmp[q * m + j];
                }
            }
        }
    }

    // ---------------------------------------------------------------- dense layers

    @Override
    public void denseForward(Buffer x, int rows, int in, Buffer w, Buffer b, int out, Activation act, Buffer y) {
        Shapes.denseForward(x, rows, in, w, b, out, y);
        ArrayBuffer xa = cast(x), wa = cast(w), ba = cast(b), ya = cast(y);
        int chunks = (out + COLUMN_CHUNK - 1) / COLUMN_CHUNK;
        if (rows == 1) {
            // One row: y = W x as [1, I] × W^T, per column chunk of y (a one-column product would be a matrix-vector
            // product, summed in another order than the rows > 1 path below; this keeps them bit-identical).
            par.forEach(chunks, c -> {
                int j0 = c * COLUMN_CHUNK, cw = Math.min(COLUMN_CHUNK, out - j0);
                float[] wT = scratch.get().get(0, in * cw);
                transposeInto(wa.data, wa.offset + j0 * in, cw, in, wT);
                k.gemm(1, in, cw, xa.data, xa.offset, in, wT, 0, cw, ya.data, ya.offset + j0, out);
                k.biasActivate(ya.data, ya.offset + j0, 1, cw, out, ba.data, ba.offset + j0, false, act, 1f);
            });
            return;
        }
        // y^T [J, R] = W [J, I] · x^T [I, R]: W is read in place, row block by row block (its transpose would cost a
        // pass over all of it per call: 31M floats for a large decoder's output layer); only x (R rows) is transposed.
        // Same products in the same order as x · W^T, so the result is bit-identical to it.
        float[] xT = new float[in * rows + Scratch.SLACK];
        int inChunk = Math.max(1, (1 << 16) / rows);
        par.forEach((in + inChunk - 1) / inChunk, c -> {
            int i0 = c * inChunk, i1 = Math.min(in, i0 + inChunk);
            // 16 × 16 blocks: the strided writes of a block stay within 16 cache lines.
            for (int rb = 0; rb < rows; rb += 16) {
                int re = Math.min(rows, rb + 16);
                for (int ib = i0; ib < i1; ib += 16) {
                    int ie = Math.min(i1, ib + 16);
                    for (int r = rb; r < re; r++) {
                        int src = xa.offset + r * in;
                        for (int i = ib; i < ie; i++) xT[i * rows + r] = xa.data[src + i];
                    }
                }
            }
        });
        par.forEach(chunks, c -> {
            int j0 = c * COLUMN_CHUNK, cw = Math.min(COLUMN_CHUNK, out - j0);
            float[] yT = scratch.get().get(0, cw * rows);
            k.gemm(cw, in, rows, wa.data, wa.offset + j0 * in, in, xT, 0, rows, yT, 0, rows);
            k.biasActivate(yT, 0, cw, rows, rows, ba.data, ba.offset + j0, true, act, 1f);
            // y[r, j0 + j] = yT[j, r] in 16 × 16 blocks: contiguous writes along j, reads within a cached block.
            for (int rb = 0; rb < rows; rb += 16) {
                int re = Math.min(rows, rb + 16);
                for (int jb = 0; jb < cw; jb += 16) {
                    int je = Math.min(cw, jb + 16);
                    for (int r = rb; r < re; r++) {
                        int dst = ya.offset + r * out + j0;
                        for (int j = jb; j < je; j++) ya.data[dst + j] = yT[j * rows + r];
                    }
                }
            }
        });
    }

    @Override
    public void denseBackward(Buffer x, int rows, int in, Buffer w, int out, Activation act, Buffer y, Buffer dy,
                              Buffer dw, Buffer db, Buffer dx) {
        Shapes.denseBackward(x, rows, in, w, out, y, dy, dw, db, dx);
        ArrayBuffer xa = cast(x), wa = cast(w), ya = cast(y), dya = cast(dy), dwa = cast(dw), dba = cast(db), dxa = cast(dx);
        float[] dz = new float[rows * out];
        int rowChunk = Math.max(1, (1 << 16) / out);
        par.forEach((rows + rowChunk - 1) / rowChunk, c -> {
            int r0 = c * rowChunk, rn = Math.min(rowChunk, rows - r0);
            k.activationGrad(ya.data, ya.offset + r0 * out, dya.data, dya.offset + r0 * out, dz, r0 * out, rn * out, act, 1f);
        });
        // dW [J, I] = dz^T [J, R] · x [R, I] with dz read transposed in place, parallel over chunks of J; db[j] = Σ_r dz[r, j]
        // in row order (each column's own running sum, so the loop over j vectorises without changing any sum).
        int chunks = (out + COLUMN_CHUNK - 1) / COLUMN_CHUNK;
        par.forEach(chunks, c -> {
            int j0 = c * COLUMN_CHUNK, cw = Math.min(COLUMN_CHUNK, out - j0);
            k.gemmTN(cw, rows, in, dz, j0, out, xa.data, xa.offset, in, dwa.data, dwa.offset + j0 * in, in);
            float[] sum = scratch.get().get(0, cw);
            java.util.Arrays.fill(sum, 0, cw, 0f);
            for (int r = 0; r < rows; r++) {
                int row = r * out + j0;
                for (int j = 0; j < cw; j++) sum[j] += dz[row + j];
            }
            System.arraycopy(sum, 0, dba.data, dba.offset + j0, cw);
        });
        if (dxa != null) {
            // dx [R, I] = dz [R, J] · W [J, I], parallel over column chunks of I.
            int ichunks = (in + COLUMN_CHUNK - 1) / COLUMN_CHUNK;
            par.forEach(ichunks, c -> {
                int i0 = c * COLUMN_CHUNK, cw = Math.min(COLUMN_CHUNK, in - i0);
                k.gemm(rows, out, cw, dz, 0, out, wa.data, wa.offset + i0, in, dxa.data, dxa.offset + i0, in);
            });
        }
    }

    // ---------------------------------------------------------------- Adam, distances

    @Override
    public void adamStep(AdamConfig cfg, int t, Buffer param, Buffer grad, Buffer m, Buffer v) {
        Shapes.adam(t, param, grad, m, v);
        int n = param.length();
        ArrayBuffer p = cast(param), g = cast(grad), ma = cast(m), va = cast(v);
        if (p.offset != g.offset || p.offset != ma.offset || p.offset != va.offset) {
            // Kernels index all four arrays with one offset: copy through aligned views otherwise.
            float[] gp = new float[n], mp = new float[n], vp = new float[n], pp = new float[n];
            System.arraycopy(p.data, p.offset, pp, 0, n);
            System.arraycopy(g.data, g.offset, gp, 0, n);
            System.arraycopy(ma.data, ma.offset, mp, 0, n);
            System.arraycopy(va.data, va.offset, vp, 0, n);
            adamStep(cfg, t, ArrayBuffer.wrap(pp), ArrayBuffer.wrap(gp), ArrayBuffer.wrap(mp), ArrayBuffer.wrap(vp));
            System.arraycopy(pp, 0, p.data, p.offset, n);
            System.arraycopy(mp, 0, ma.data, ma.offset, n);
            System.arraycopy(vp, 0, va.data, va.offset, n);
            return;
        }
        int chunk = 1 << 16;
        par.forEach((n + chunk - 1) / chunk, c -> {
            int off = c * chunk, len = Math.min(chunk, n - off);
            k.adam(cfg.lr(), cfg.beta1(), cfg.beta2(), cfg.eps(), t, p.data, g.data, ma.data, va.data, p.offset + off, len);
        });
    }

    @Override
    public void columnAffine(Buffer x, int rows, int cols, Buffer scale, Buffer shift, Buffer y) {
        Shapes.columnAffine(x, rows, cols, scale, shift, y);
        ArrayBuffer xa = cast(x), ya = cast(y), sc = cast(scale), sh = cast(shift);
        int rowChunk = Math.max(1, (1 << 16) / cols);
        par.forEach((rows + rowChunk - 1) / rowChunk, c -> {
            for (int r = c * rowChunk, end = Math.min(rows, r + rowChunk); r < end; r++) {
                int xi = xa.offset + r * cols, yi = ya.offset + r * cols;
                k.affine(xa.data, xi, sc.data, sc.offset, sh == null ? null : sh.data, sh == null ? 0 : sh.offset, ya.data, yi, cols);
            }
        });
    }

    @Override
    public double meanSquaredError(Buffer pred, Buffer target, Buffer grad) {
        Shapes.meanSquaredError(pred, target, grad);
        int n = pred.length();
        ArrayBuffer p = cast(pred), t = cast(target), g = cast(grad);
        int chunk = 1 << 16, chunks = (n + chunk - 1) / chunk;
        double[] partial = new double[chunks];
        float scale = 2f / n;
        par.forEach(chunks, c -> {
            double s = 0;
            for (int i = c * chunk, end = Math.min(n, i + chunk); i < end; i++) {
                float d = p.data[p.offset + i] - t.data[t.offset + i];
                s += (double) d * d;
                if (g != null) g.data[g.offset + i] = scale * d;
            }
            partial[c] = s;
        });
        double sum = 0;
        for (double s : partial) sum += s; // in chunk order: independent of the thread count
        return sum / n;
    }

    @Override
    public void pairwiseSquaredDistances(Buffer x, int rowsX, Buffer y, int rowsY, int dim, Buffer out) {
        Shapes.pairwise(x, rowsX, y, rowsY, dim, out);
        ArrayBuffer xa = cast(x), ya = cast(y), oa = cast(out);
        float[] xx = rowNorms(xa, rowsX, dim), yy = rowNorms(ya, rowsY, dim);
        // ‖x−y‖² = ‖x‖² + ‖y‖² − 2 x·y, the dot products by GEMM over column chunks of y^T; clamped at 0.
        int chunks = (rowsY + COLUMN_CHUNK - 1) / COLUMN_CHUNK;
        par.forEach(chunks, c -> {
            int j0 = c * COLUMN_CHUNK, cw = Math.min(COLUMN_CHUNK, rowsY - j0);
            float[] yT = scratch.get().get(0, dim * cw);
            transposeInto(ya.data, ya.offset + j0 * dim, cw, dim, yT);
            k.gemm(rowsX, dim, cw, xa.data, xa.offset, dim, yT, 0, cw, oa.data, oa.offset + j0, rowsY);
            for (int i = 0; i < rowsX; i++) {
                int r = oa.offset + i * rowsY + j0;
                for (int j = 0; j < cw; j++) oa.data[r + j] = Math.max(0f, xx[i] + yy[j0 + j] - 2f * oa.data[r + j]);
            }
        });
    }

    /**
     * Exact k-NN by blocks of the distance matrix. Pool blocks of {@link #KNN_POOL_BLOCK} rows are the outer loop:
     * each is packed once into panels of its transpose ([D, 32] each) with its squared norms, then, in parallel over
     * fixed chunks of {@link #KNN_QUERY_CHUNK} queries, the dot block [chunk, block] comes from {@link Kernels#gemm}
     * and {@link Kernels#knnUpdate} turns each row into distances {@code max(0, (‖q‖² + ‖p‖²) − 2 q·p)} and merges
     * them into the query's running list, kept in {@code out} itself (+∞ at the start). Extra memory: the query norms
     * [Q], the packed block (D × 1024 floats, shared read-only) and one dot block per thread (64 × 1024 floats), never
     * [Q, P].
     *
     * <p>Numerics: {@code max(0, fma(−2, q·p, ‖q‖² + ‖p‖²))} in float32. The norms are fused-multiply-add sums in the
     * order of the GEMM's dot products, so a pool row equal to the query gives exactly 0; otherwise the error is that
     * of the expanded form, within (2D + 4)·2⁻²⁴·(‖q‖² + ‖p‖²). Each value depends only on its query and pool row and
     * a list holds the k smallest values (ties keep their multiplicity), so the output is the same on any thread count
     * and with either kernels. NaN distances are never taken.
     */
    @Override
    public void knnSquaredDistances(Buffer queries, int rowsQ, Buffer pool, int rowsP, int dim, int kn, int selfOffset, Buffer out) {
        Shapes.knn(queries, rowsQ, pool, rowsP, dim, kn, selfOffset, out);
        ArrayBuffer qa = cast(queries), pa = cast(pool), oa = cast(out);
        float[] top = oa.data;
        Arrays.fill(top, oa.offset, oa.offset + rowsQ * kn, Float.POSITIVE_INFINITY);
        int chunks = (rowsQ + KNN_QUERY_CHUNK - 1) / KNN_QUERY_CHUNK;
        float[] qq = new float[rowsQ];
        par.forEach(chunks, c -> {
            for (int i = c * KNN_QUERY_CHUNK, end = Math.min(rowsQ, i + KNN_QUERY_CHUNK); i < end; i++) {
                qq[i] = rowNorm(qa.data, qa.offset + i * dim, dim);
            }
        });
        int blockMax = Math.min(KNN_POOL_BLOCK, rowsP);
        float[] panels = new float[blockMax * dim + Scratch.SLACK];   // [block / 32 panels][D, ≤ 32]
        float[] pp = new float[blockMax + Scratch.SLACK];             // [block]
        for (int j0 = 0; j0 < rowsP; j0 += KNN_POOL_BLOCK) {
            int pb = Math.min(KNN_POOL_BLOCK, rowsP - j0), blockStart = j0;
            packPanels(pa.data, pa.offset + j0 * dim, pb, dim, panels, pp);
            par.forEach(chunks, c -> {
                int i0 = c * KNN_QUERY_CHUNK, qc = Math.min(KNN_QUERY_CHUNK, rowsQ - i0);
                float[] dots = scratch.get().get(0, qc * pb);   // [qc, pb]
                for (int p0 = 0; p0 < pb; p0 += KNN_PANEL) {
                    int w = Math.min(KNN_PANEL, pb - p0);
                    k.gemm(qc, dim, w, qa.data, qa.offset + i0 * dim, dim, panels, p0 * dim, w, dots, p0, pb);
                }
                for (int i = 0; i < qc; i++) {
                    // Column of query i's own pool row in this block; out of [0, pb) when it is elsewhere.
                    int self = selfOffset >= 0 ? selfOffset + i0 + i - blockStart : -1;
                    k.knnUpdate(dots, i * pb, pp, 0, pb, qq[i0 + i], self, top, oa.offset + (i0 + i) * kn, kn);
                }
            });
        }
    }

    /**
     * Pool rows src [pb, D] at off → panels: columns p0..p0+w of the transpose as a contiguous [D, w] at p0·D, for
     * p0 = 0, 32, …; and pp[j] = ‖p_j‖², summed like {@link #rowNorm} (per column, in order of d).
     */
    private static void packPanels(float[] src, int off, int pb, int dim, float[] panels, float[] pp) {
        for (int p0 = 0; p0 < pb; p0 += KNN_PANEL) {
            int w = Math.min(KNN_PANEL, pb - p0), base = p0 * dim;
            for (int j = 0; j < w; j++) {
                int s = off + (p0 + j) * dim;
                for (int d = 0; d < dim; d++) panels[base + d * w + j] = src[s + d];
            }
            for (int j = 0; j < w; j++) pp[p0 + j] = 0f;
            for (int d = 0; d < dim; d++) {
                int r = base + d * w;
                for (int j = 0; j < w; j++) pp[p0 + j] = Math.fma(panels[r + j], panels[r + j], pp[p0 + j]);
            }
        }
    }

    /** ‖a‖² as fused multiply-adds in order from 0: bit-identical to the GEMM's dot product of a with itself. */
    private static float rowNorm(float[] a, int off, int dim) {
        float s = 0f;
        for (int q = 0; q < dim; q++) s = Math.fma(a[off + q], a[off + q], s);
        return s;
    }

    private static float[] rowNorms(ArrayBuffer a, int rows, int dim) {
        float[] n = new float[rows];
        for (int i = 0; i < rows; i++) {
            float s = 0f;
            for (int q = 0, r = a.offset + i * dim; q < dim; q++) s = Math.fma(a.data[r + q], a.data[r + q], s);
            n[i] = s;
        }
        return n;
    }

    // ---------------------------------------------------------------- helpers

    /** src [rows, cols] at off → dst [cols, rows]. */
    /** Policy b's states [O, M] (transposed): the shared ones, or its own transposed into scratch slot 0. */
    private static float[] statesTransposed(float[] sharedT, ArrayBuffer st, int b, int m, int o, Scratch s) {
        if (sharedT != null) return sharedT;
        float[] xT = s.get(0, o * m);
        transposeInto(st.data, st.offset + b * m * o, m, o, xT);
        return xT;
    }

    static void transposeInto(float[] src, int off, int rows, int cols, float[] dst) {
        // 16 × 16 blocks: both the reads and the strided writes stay within a few cache lines per block.
        final int t = 16;
        for (int r0 = 0; r0 < rows; r0 += t) {
            int r1 = Math.min(rows, r0 + t);
            for (int c0 = 0; c0 < cols; c0 += t) {
                int c1 = Math.min(cols, c0 + t);
                for (int r = r0; r < r1; r++) {
                    int s = off + r * cols;
                    for (int c = c0; c < c1; c++) dst[c * rows + r] = src[s + c];
                }
            }
        }
    }

    private static float[] transpose(float[] src, int off, int rows, int cols, float[] dst) {
        float[] d = dst != null ? dst : new float[rows * cols + Scratch.SLACK];
        transposeInto(src, off, rows, cols, d);
        return d;
    }

    @Override public void close() { par.close(); }

    /** Per-thread growable work arrays, indexed by slot. */
    private static final class Scratch {
        private static final int SLACK = 64;
        private final float[][] slots = new float[8][];

        float[] get(int slot, int n) {
            float[] a = slots[slot];
            // Slack past n: a masked vector tail that would cross the end of an array leaves the intrinsic path (slow).
            if (a == null || a.length < n + SLACK) slots[slot] = a = new float[n + SLACK];
            return a;
        }
    }
}
