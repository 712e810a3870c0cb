package io.github.rpo4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Keys and values of every layer for the positions decoded so far, preallocated to a capacity.
 * Each layer holds k and v of shape (B, Hkv, capacity, D); positions [0, length) are filled. GPT-2
 * caches in float32 or float64 live in Java arrays (read by {@link CachedAttention}), others in ND4J arrays.
 */
public final class KvCache {

    private final INDArray[] keys; // null when the layers are held in Java arrays
    private final INDArray[] values;
    private final Layer[] layers; // GPT-2 in float32 or float64: Java arrays for CachedAttention
    private final long batch;
    private final int capacity;
    private int length;

    public KvCache(ModelConfig config, int batch, int capacity, DataType type) {
        this.batch = batch;
        this.capacity = capacity;
        int size = batch * config.kvHeads() * capacity * config.headWidth();
        if (config.family() == Family.GPT2 && (type == DataType.FLOAT || type == DataType.DOUBLE)) {
            keys = null;
            values = null;
            layers = new Layer[config.layers()];
            for (int l = 0; l < layers.length; l++) {
                layers[l] = type == DataType.FLOAT ? Layer.ofFloats(size, capacity) : Layer.ofDoubles(size, capacity);
            }
        } else {
            keys = new INDArray[config.layers()];
            values = new INDArray[config.layers()];
            layers = null;
            for (int l = 0; l < config.layers(); l++) {
                keys[l] = Nd4j.zeros(type, batch, config.kvHeads(), capacity, config.headWidth());
                values[l] = Nd4j.zeros(type, batch, config.kvHeads(), capacity, config.headWidth());
            }
        }
    }

    private KvCache(INDArray[] keys, INDArray[] values, Layer[] layers, long batch, int capacity, int length) {
        this.keys = keys;
        this.values = values;
        this.layers = layers;
        this.batch = batch;
        this.capacity = capacity;
        this.length = length;
    }

    /** Whether the layers are held in Java arrays, for {@link CachedAttention}. */
    boolean inJava() {
        return layers != null;
    }

    /** Layer {@code layer}'s store, when {@link #inJava()}. */
    Layer layer(int layer) {
        return layers[layer];
    }

    /** Positions filled so far. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public long batch() {
        return batch;
    }

    /** Stores layer {@code layer}'s new keys and values (B, Hkv, Tnew, D) after the filled positions. */
    void write(int layer, INDArray k, INDArray v) {
        long tNew = k.size(2);
        if (length + tNew > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + tNew + " > capacity " + capacity);
        }
        INDArrayIndex[] slot = range(length, length + tNew);
        keys[layer].get(slot).assign(k);
        values[layer].get(slot).assign(v);
    }

    /**
     * Every key slot of layer {@code layer}, filled or not: (B, Hkv, capacity, D), no copy. Attention
     * masks the unfilled slots by causality (they lie after every query).
     */
    INDArray keys(int layer) {
        return keys[layer];
    }

    /** Every value slot of layer {@code layer}: (B, Hkv, capacity, D), no copy. */
    INDArray values(int layer) {
        return values[layer];
    }

    void advance(int positions) {
        length += positions;
    }

    /** A cache whose row r is this cache's row rows[r]: repeats a shared prompt's cache, or drops finished rows. */
    public KvCache selectRows(int[] rows) {
        if (layers != null) {
            Layer[] picked = new Layer[layers.length];
            for (int l = 0; l < layers.length; l++) {
                picked[l] = layers[l].pickRows(rows, (int) batch);
            }
            return new KvCache(null, null, picked, rows.length, capacity, length);
        }
        INDArray[] k = new INDArray[keys.length];
        INDArray[] v = new INDArray[values.length];
        for (int l = 0; l < keys.length; l++) {
            k[l] = pickRows(keys[l], rows);
            v[l] = pickRows(values[l], rows);
        }
        return new KvCache(k, v, null, rows.length, capacity, length);
    }

    /** Rows of the first axis of a (B, Hkv, capacity, D) array, as a new contiguous array. */
    private static INDArray pickRows(INDArray a, int[] rows) {
        long[] shape = a.shape().clone();
        INDArray picked = a.reshape('c', shape[0], -1).getRows(rows);
        shape[0] = rows.length;
        return picked.reshape('c', shape);
    }

    /**
     * One layer's keys and values, each (B, Hkv, capacity, D) row-major, in the model's precision:
     * float32 caches stay float32 (half the memory of doubles); products accumulate in double.
     */
    static final class Layer {
        private final float[] kf;
        private final float[] vf;
        private final double[] kd;
        private final double[] vd;
        private final int capacity;

        private Layer(float[] kf, float[] vf, double[] kd, double[] vd, int capacity) {
            this.kf = kf;
            this.vf = vf;
            this.kd = kd;
            this.vd = vd;
            this.capacity = capacity;
        }

        static Layer ofFloats(int size, int capacity) {
            return new Layer(new float[size], new float[size], null, null, capacity);
        }

        static Layer ofDoubles(int size, int capacity) {
            return new Layer(null, null, new double[size], new double[size], capacity);
        }

        int capacity() {
            return capacity;
        }

        /** Stores d key elements from src[k..] and d value elements from src[v..] at slot offset dst. */
        void put(int dst, double[] src, int k, int v, int d) {
            if (kf != null) {
                for (int c = 0; c < d; c++) {
                    kf[dst + c] = (float) src[k + c];
                    vf[dst + c] = (float) src[v + c];
                }
            } else {
                System.arraycopy(src, k, kd, dst, d);
                System.arraycopy(src, v, vd, dst, d);
            }
        }

        /** The dot product of the key at slot offset {@code at} with q[qAt..qAt+d). */
        double dotKey(int at, double[] q, int qAt, int d) {
            double s = 0;
            if (kf != null) {
                for (int c = 0; c < d; c++) {
                    s += kf[at + c] * q[qAt + c];
                }
            } else {
                for (int c = 0; c < d; c++) {
                    s += kd[at + c] * q[qAt + c];
                }
            }
            return s;
        }

        /** out[o..o+d) += weight * the value at slot offset {@code at}. */
        void addValue(int at, double weight, double[] out, int o, int d) {
            if (vf != null) {
                for (int c = 0; c < d; c++) {
                    out[o + c] += weight * vf[at + c];
                }
            } else {
                for (int c = 0; c < d; c++) {
                    out[o + c] += weight * vd[at + c];
                }
            }
        }

        /** A layer whose batch row r is this layer's row rows[r]. */
        Layer pickRows(int[] rows, int batch) {
            int rowSize = (kf != null ? kf.length : kd.length) / batch;
            int size = rows.length * rowSize;
            Layer out = kf != null ? ofFloats(size, capacity) : ofDoubles(size, capacity);
            for (int r = 0; r < rows.length; r++) {
                if (kf != null) {
                    System.arraycopy(kf, rows[r] * rowSize, out.kf, r * rowSize, rowSize);
                    System.arraycopy(vf, rows[r] * rowSize, out.vf, r * rowSize, rowSize);
                } else {
                    System.arraycopy(kd, rows[r] * rowSize, out.kd, r * rowSize, rowSize);
                    System.arraycopy(vd, rows[r] * rowSize, out.vd, r * rowSize, rowSize);
                }
            }
            return out;
        }
    }

    private static INDArrayIndex[] range(long from, long to) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all()};
    }
}
