package io.github.rpo4j.model;

/**
 * Causal attention of new positions against a {@link KvCache} held in Java arrays, for decoding
 * without gradients (GPT-2's fused qkv projection).
 *
 * <p>Decoding runs one position per row at a time: per layer the ND4J composition (slice q, k and v,
 * split heads, write the cache, batched products over B*H tiny matrices, mask, five-pass softmax,
 * merge heads) was some twenty native calls of about 20 microseconds each on arrays of a few
 * kilobytes, and ND4J's batched product costs a few microseconds per (1, D) x (D, Tk) matrix. This
 * kernel reads the projection once, appends to the cache in place, and visits only the filled key
 * slots (the ND4J path attends over the whole capacity, unfilled slots masked).
 */
final class CachedAttention {

    private CachedAttention() {
    }

    /**
     * Appends the new keys and values to the layer's store, then attends.
     *
     * @param qkv     (B*T, 3C) row-major, columns [q | k | v], head h at h*D..(h+1)*D of each
     * @param store   the layer's keys and values, each (B, Hkv, capacity, D) row-major
     * @param past    key positions already filled; new position t of a row sits at past + t
     * @param present null, or (B, given) with 0 at padded key positions; keys at or after
     *                {@code given} are present
     * @return (B*T, C) row-major, heads merged
     */
    static double[] attend(double[] qkv, int batch, int time, int heads, int kvHeads, int d,
                           KvCache.Layer store, int past, float[] present, int given) {
        int width = heads * d;
        int row3 = 3 * width;
        int capacity = store.capacity();
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < time; t++) {
                int src = (b * time + t) * row3;
                for (int h = 0; h < kvHeads; h++) {
                    int dst = ((b * kvHeads + h) * capacity + past + t) * d;
                    store.put(dst, qkv, src + width + h * d, src + 2 * width + h * d, d);
                }
            }
        }
        double scale = 1.0 / Math.sqrt(d);
        int rep = heads / kvHeads;
        double[] out = new double[batch * time * width];
        double[] w = new double[past + time];
        int[] slots = new int[past + time];
        double[] weights = new double[past + time];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int base = (b * kvHeads + h / rep) * capacity * d; // key slot 0 of this row's head
                for (int t = 0; t < time; t++) {
                    int q = (b * time + t) * row3 + h * d;
                    int keys = past + t + 1; // causal: keys 0..past+t
                    boolean any = false;
                    for (int j = 0; j < keys && !any; j++) {
                        any = isPresent(present, given, b, j);
                    }
                    store.dotKeys(base, keys, qkv, q, d, w);
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < keys; j++) {
                        // A query that sees no present key (itself padding) attends over every causal key.
                        if (any && !isPresent(present, given, b, j)) {
                            w[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double s = w[j] * scale;
                        w[j] = s;
                        max = Math.max(max, s);
                    }
                    double sum = 0;
                    for (int j = 0; j < keys; j++) {
                        double e = w[j] == Double.NEGATIVE_INFINITY ? 0 : Math.exp(w[j] - max);
                        w[j] = e;
                        sum += e;
                    }
                    int weighted = 0; // the keys with a weight, in key order
                    for (int j = 0; j < keys; j++) {
                        if (w[j] != 0) {
                            slots[weighted] = j;
                            weights[weighted] = w[j] / sum;
                            weighted++;
                        }
                    }
                    store.addValues(base, slots, weights, weighted, out, (b * time + t) * width + h * d, d);
                }
            }
        }
        return out;
    }

    private static boolean isPresent(float[] present, int given, int b, int j) {
        return present == null || j >= given || present[b * given + j] != 0;
    }
}
