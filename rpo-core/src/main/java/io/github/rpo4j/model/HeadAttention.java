package io.github.rpo4j.model;

import io.github.rpo4j.tensor.Ops;
import io.github.rpo4j.tensor.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Attention over split heads, shared by the families' blocks: masks, the cache, grouped-query heads. */
final class HeadAttention {

    private HeadAttention() {
    }

    /**
     * The key padding of every head, (B*H, Tk) with Tk = T without a cache and the cache's capacity with
     * one; null when nothing is padded. Every head of a row shares its row's padding.
     *
     * @param keyPadding (B, given keys) with 0 at padded keys, or null
     */
    static INDArray perHead(INDArray keyPadding, int batch, int time, int heads, KvCache cache) {
        if (keyPadding == null) {
            return null;
        }
        int keys = cache == null ? time : cache.capacity();
        INDArray rows = keyPadding;
        if (rows.size(1) < keys) {
            // Slots after the filled ones are masked by causality; mark them present here.
            rows = Nd4j.concat(1, rows, Nd4j.ones(rows.dataType(), batch, keys - rows.size(1)));
        }
        return rows.reshape(batch, 1, keys).broadcast(batch, heads, keys).dup('c')
                .reshape((long) batch * heads, keys);
    }

    /**
     * Causal attention of layer {@code layer}: the new keys and values are written to the cache when there
     * is one, and the queries attend to every cached position.
     *
     * @param q       (B, H, T, D) queries, rotated where the family rotates
     * @param k       (B, Hkv, T, D) keys of the new positions
     * @param v       (B, Hkv, T, D) values of the new positions
     * @param padding (B*H, Tk) from {@link #perHead}, or null
     * @param cache   the cache, or null
     * @param window  how many positions, itself included, a query sees; 0 for all
     * @return the heads merged back into rows, (B*T, H*D)
     */
    static Tensor attend(Tensor q, Tensor k, Tensor v, int layer, int batch, int time, int heads, int kvHeads,
                         int d, INDArray padding, KvCache cache, int window) {
        int keysLength = time;
        int queryOffset = 0;
        if (cache != null) {
            cache.write(layer, k.value(), v.value());
            keysLength = cache.capacity();
            queryOffset = cache.length();
            k = Tensor.constant(cache.keys(layer)); // (B, Hkv, capacity, D)
            v = Tensor.constant(cache.values(layer));
        }
        int rep = heads / kvHeads;
        k = Ops.repeatHeads(k, rep); // (B, H, Tk, D)
        v = Ops.repeatHeads(v, rep);
        Tensor att = Ops.causalAttention(
                q.reshape((long) batch * heads, time, d),
                k.reshape((long) batch * heads, keysLength, d),
                v.reshape((long) batch * heads, keysLength, d), padding, queryOffset, window); // (B*H, T, D)
        return att.reshape(batch, heads, time, d).permute(0, 2, 1, 3).reshape((long) batch * time, (long) heads * d); // (B*T, H*D)
    }

    /** Rows (B*T, heads*D) split into heads, (B, heads, T, D). */
    static Tensor splitHeads(Tensor rows, int batch, int time, int heads, int d) {
        return rows.reshape(batch, time, heads, d).permute(0, 2, 1, 3);
    }
}
