package policyzip.dataset;

import it.unimi.dsi.fastutil.ints.IntArrayList;
import it.unimi.dsi.fastutil.longs.LongArrayList;
import java.util.stream.IntStream;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

/**
 * Policies stored as seeds (SPEC.md section 2): policy i is the prior's draw for {@code root[i]}
 * ({@link PolicyInit#initialize}) followed by the Gaussian mutations {@link PolicyInit#mutate} with the seeds
 * {@code chain[offset[i] .. offset[i+1])} in order, each of scale {@code sigma}. A fresh random policy has an empty
 * chain. 8 bytes per policy instead of 4·P (487 KB for a large policy), and regenerated bit-identically.
 */
public final class PolicyRefs {
    private final LongArrayList root = new LongArrayList();
    private final IntArrayList offset = new IntArrayList(new int[] {0});
    private final LongArrayList chain = new LongArrayList();

    public int size() { return root.size(); }

    public long root(int i) { return root.getLong(i); }

    public int chainLength(int i) { return offset.getInt(i + 1) - offset.getInt(i); }

    /** Appends a fresh random policy. */
    public void addFresh(long seed) {
        root.add(seed);
        offset.add(chain.size());
    }

    /** Appends policy {@code parent} of {@code from} mutated once more with {@code mutationSeed}. */
    public void addMutation(PolicyRefs from, int parent, long mutationSeed) {
        root.add(from.root(parent));
        for (int j = from.offset.getInt(parent); j < from.offset.getInt(parent + 1); j++) chain.add(from.chain.getLong(j));
        chain.add(mutationSeed);
        offset.add(chain.size());
    }

    /** Appends policy i of {@code from} unchanged. */
    public void addCopy(PolicyRefs from, int i) {
        root.add(from.root(i));
        for (int j = from.offset.getInt(i); j < from.offset.getInt(i + 1); j++) chain.add(from.chain.getLong(j));
        offset.add(chain.size());
    }

    /** Writes θ of policies [from, from + count) into dst [count, P], in parallel over policies (each independent). */
    public void thetas(MlpSpec mlp, float sigma, int from, int count, float[] dst) {
        int p = mlp.paramCount();
        if (dst.length < (long) count * p) throw new IllegalArgumentException("theta buffer holds " + dst.length + " floats, need " + (long) count * p);
        IntStream range = IntStream.range(0, count);
        (count * (long) p >= 1 << 16 ? range.parallel() : range).forEach(b -> theta(mlp, sigma, from + b, dst, b * p));
    }

    /** Writes θ of policy i into {@code dst[off, off + P)}. */
    public void theta(MlpSpec mlp, float sigma, int i, float[] dst, int off) {
        PolicyInit.initialize(mlp, root.getLong(i), dst, off);
        for (int j = offset.getInt(i); j < offset.getInt(i + 1); j++) PolicyInit.mutate(mlp, chain.getLong(j), sigma, dst, off);
    }

    /** Writes θ of policies {@code index[0..count)} into dst [count, P], in parallel over policies. */
    public void thetas(MlpSpec mlp, float sigma, int[] index, int count, float[] dst) {
        int p = mlp.paramCount();
        IntStream range = IntStream.range(0, count);
        (count * (long) p >= 1 << 16 ? range.parallel() : range).forEach(b -> theta(mlp, sigma, index[b], dst, b * p));
    }

    /**
     * θ of policies {@code index[0..count)} into dst [count, P] on {@code be}: when none of them is mutated, from their
     * seeds on the backend ({@link Backend#initPolicies}; on a GPU only the seeds cross the bus); otherwise regenerated
     * here into a host staging array and copied. {@code host} is that array (at least dst.length() floats), or null:
     * one is then allocated only if a policy is mutated. Returns the staging array for the next call (null while every
     * policy so far was fresh), so that callers neither allocate nor zero one they never use.
     */
    public float[] load(Backend be, MlpSpec mlp, float sigma, int[] index, int count, Buffer dst, float[] host) {
        if (!allFresh(index, count)) {
            float[] h = host != null && host.length >= dst.length() ? host : new float[dst.length()];
            thetas(mlp, sigma, index, count, h);
            be.write(dst, h, 0);
            return h;
        }
        long[] seeds = new long[count];
        for (int j = 0; j < count; j++) seeds[j] = root(index[j]);
        be.initPolicies(mlp, seeds, dst);
        return host;
    }

    /** Whether none of policies {@code index[0..count)} is mutated (each is its root seed's prior draw). */
    public boolean allFresh(int[] index, int count) {
        for (int j = 0; j < count; j++) if (chainLength(index[j]) != 0) return false;
        return true;
    }

    /** {@link #load(Backend, MlpSpec, float, int[], int, Buffer, float[])} of policies [from, from + count). */
    public float[] load(Backend be, MlpSpec mlp, float sigma, int from, int count, Buffer dst, float[] host) {
        return load(be, mlp, sigma, IntStream.range(from, from + count).toArray(), count, dst, host);
    }

    public long[] roots() { return root.toLongArray(); }
    public int[] offsets() { return offset.toIntArray(); }
    public long[] chains() { return chain.toLongArray(); }

    /** From the three stored arrays; checks that they are consistent. */
    public static PolicyRefs of(long[] roots, int[] offsets, long[] chains) {
        if (offsets.length != roots.length + 1 || offsets[0] != 0 || offsets[roots.length] != chains.length) {
            throw new IllegalArgumentException("policy seed chains are inconsistent: " + roots.length + " roots, " + offsets.length
                    + " offsets ending at " + (offsets.length == 0 ? "?" : offsets[offsets.length - 1]) + ", " + chains.length + " chain seeds");
        }
        for (int i = 0; i < roots.length; i++) {
            if (offsets[i + 1] < offsets[i]) throw new IllegalArgumentException("policy seed chains are inconsistent: offset " + (i + 1) + " decreases");
        }
        PolicyRefs r = new PolicyRefs();
        r.root.addElements(0, roots);
        r.offset.clear();
        r.offset.addElements(0, offsets);
        r.chain.addElements(0, chains);
        return r;
    }
}
