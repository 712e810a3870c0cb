package io.github.rpo4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Keys and values of every layer for the positions decoded so far, preallocated to a capacity.
 * Each layer holds k and v of shape (B, Hkv, capacity, D); positions [0, length) are filled. Where they are
 * held is the cache's {@link Store}, chosen when it is made: GPT-2 caches in float32 or float64 live in Java
 * arrays ({@link JavaArrays}, read by {@link CachedAttention}), all others in ND4J arrays ({@link NdArrays}).
 */
public final class KvCache {

    /** Where the layers' keys and values are held; each kind holds only its own arrays. */
    sealed interface Store permits NdArrays, JavaArrays {
        /** A store whose batch row r is this store's row rows[r], out of {@code batch} rows. */
        Store selectRows(int[] rows, int batch);
    }

    /**
     * Every family's cache, read by {@link HeadAttention}: per layer, keys and values (B, Hkv, capacity, D) in
     * the model's data type.
     */
    record NdArrays(INDArray[] keys, INDArray[] values) implements Store {
        @Override
        public NdArrays selectRows(int[] rows, int batch) {
            INDArray[] k = new INDArray[keys.length];
            INDArray[] v = new INDArray[values.length];
            for (int l = 0; l < keys.length; l++) {
                k[l] = pickRows(keys[l], rows);
                v[l] = pickRows(values[l], rows);
            }
            return new NdArrays(k, v);
        }

        /** Rows of the first axis of a (B, Hkv, capacity, D) array, as a new contiguous array. */
        private static INDArray pickRows(INDArray a, int[] rows) {
            long[] shape = a.shape().clone();
            INDArray picked = a.reshape('c', shape[0], -1).getRows(rows);
            shape[0] = rows.length;
            return picked.reshape('c', shape);
        }
    }

    /** GPT-2's cache in float32 or float64, for {@link CachedAttention}: one {@link Layer} per layer. */
    record JavaArrays(Layer[] layers) implements Store {
        @Override
        public JavaArrays selectRows(int[] rows, int batch) {
            Layer[] picked = new Layer[layers.length];
            for (int l = 0; l < layers.length; l++) {
                picked[l] = layers[l].pickRows(rows, batch);
            }
            return new JavaArrays(picked);
        }
    }

    private final Store store;
    private final long batch;
    private final int capacity;
    private int length;

    public KvCache(ModelConfig config, int batch, int capacity, DataType type) {
        this(newStore(config, batch, capacity, type), batch, capacity, 0);
    }

    private KvCache(Store store, long batch, int capacity, int length) {
        this.store = store;
        this.batch = batch;
        this.capacity = capacity;
        this.length = length;
    }

    private static Store newStore(ModelConfig config, int batch, int capacity, DataType type) {
        int size = batch * config.kvHeads() * capacity * config.headWidth();
        if (config.family() == Family.GPT2 && (type == DataType.FLOAT || type == DataType.DOUBLE)) {
            Layer[] layers = new Layer[config.layers()];
            for (int l = 0; l < layers.length; l++) {
                layers[l] = type == DataType.FLOAT ? new FloatLayer(size, capacity) : new DoubleLayer(size, capacity);
            }
            return new JavaArrays(layers);
        }
        INDArray[] keys = new INDArray[config.layers()];
        INDArray[] values = new INDArray[config.layers()];
        for (int l = 0; l < config.layers(); l++) {
            keys[l] = Nd4j.zeros(type, batch, config.kvHeads(), capacity, config.headWidth());
            values[l] = Nd4j.zeros(type, batch, config.kvHeads(), capacity, config.headWidth());
        }
        return new NdArrays(keys, values);
    }

    /** Where the layers are held: {@link JavaArrays} for GPT-2's decode path, else {@link NdArrays}. */
    Store store() {
        return store;
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

    /** The ND4J store; a cache held in Java arrays is GPT-2's decode path's alone. */
    private NdArrays ndArrays() {
        if (store instanceof NdArrays arrays) {
            return arrays;
        }
        throw new IllegalStateException("this KV cache holds GPT-2's layers in Java arrays, read only by its decode path");
    }

    /** Stores layer {@code layer}'s new keys and values (B, Hkv, Tnew, D) after the filled positions. */
    void write(int layer, INDArray k, INDArray v) {
        NdArrays arrays = ndArrays();
        long tNew = k.size(2);
        if (length + tNew > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + tNew + " > capacity " + capacity);
        }
        INDArrayIndex[] slot = range(length, length + tNew);
        arrays.keys()[layer].get(slot).assign(k);
        arrays.values()[layer].get(slot).assign(v);
    }

    /**
     * Every key slot of layer {@code layer}, filled or not: (B, Hkv, capacity, D), no copy. Attention
     * masks the unfilled slots by causality (they lie after every query).
     */
    INDArray keys(int layer) {
        return ndArrays().keys()[layer];
    }

    /** Every value slot of layer {@code layer}: (B, Hkv, capacity, D), no copy. */
    INDArray values(int layer) {
        return ndArrays().values()[layer];
    }

    void advance(int positions) {
        length += positions;
    }

    /** A cache whose row r is this cache's row rows[r]: repeats a shared prompt's cache, or drops finished rows. */
    public KvCache selectRows(int[] rows) {
        return new KvCache(store.selectRows(rows, (int) batch), rows.length, capacity, length);
    }

    /**
     * One layer's keys and values, each (B, Hkv, capacity, D) row-major, in the model's precision:
     * float32 caches stay float32 (half the memory of doubles); products accumulate in double.
     */
    sealed interface Layer permits FloatLayer, DoubleLayer {
        int capacity();

        /** Stores d key elements from src[k..] and d value elements from src[v..] at slot offset dst. */
        void put(int dst, double[] src, int k, int v, int d);

        /**
         * scores[j] = the dot product of q[qAt..qAt+d) with the key at slot offset at + j * d, for j in [0, count),
         * each summed over the key's elements in order, from 0, in double.
         */
        void dotKeys(int at, int count, double[] q, int qAt, int d, double[] scores);

        /**
         * out[o..o+d) += weights[i] * the value at slot offset at + slots[i] * d, for i in [0, count) in that order:
         * each element's additions in the order of the list, as one value at a time would make them.
         */
        void addValues(int at, int[] slots, double[] weights, int count, double[] out, int o, int d);

        /** A layer whose batch row r is this layer's row rows[r], out of {@code batch} rows. */
        Layer pickRows(int[] rows, int batch);
    }

    /** A float32 layer: keys and values rounded to float when stored. */
    record FloatLayer(float[] keys, float[] values, int capacity) implements Layer {
        FloatLayer(int size, int capacity) {
            this(new float[size], new float[size], capacity);
        }

        @Override
        public void put(int dst, double[] src, int k, int v, int d) {
            for (int c = 0; c < d; c++) {
                keys[dst + c] = (float) src[k + c];
                values[dst + c] = (float) src[v + c];
            }
        }

        @Override
        public void dotKeys(int at, int count, double[] q, int qAt, int d, double[] scores) {
            // Four keys at a time: four independent sums, each added in the order of one key's dot product (so the
            // bits are those of one key at a time), which the processor overlaps where one sum's additions would
            // each wait for the last.
            int j = 0;
            for (; j + 4 <= count; j += 4) {
                int k0 = at + j * d;
                int k1 = k0 + d;
                int k2 = k1 + d;
                int k3 = k2 + d;
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                for (int c = 0; c < d; c++) {
                    double qc = q[qAt + c];
                    s0 += keys[k0 + c] * qc;
                    s1 += keys[k1 + c] * qc;
                    s2 += keys[k2 + c] * qc;
                    s3 += keys[k3 + c] * qc;
                }
                scores[j] = s0;
                scores[j + 1] = s1;
                scores[j + 2] = s2;
                scores[j + 3] = s3;
            }
            for (; j < count; j++) {
                int k = at + j * d;
                double s = 0;
                for (int c = 0; c < d; c++) {
                    s += keys[k + c] * q[qAt + c];
                }
                scores[j] = s;
            }
        }

        @Override
        public void addValues(int at, int[] slots, double[] weights, int count, double[] out, int o, int d) {
            // Four values per pass over out: each element takes their four products in list order, as four passes
            // would, with a quarter of the loads and stores of out.
            int i = 0;
            for (; i + 4 <= count; i += 4) {
                int v0 = at + slots[i] * d;
                int v1 = at + slots[i + 1] * d;
                int v2 = at + slots[i + 2] * d;
                int v3 = at + slots[i + 3] * d;
                double w0 = weights[i];
                double w1 = weights[i + 1];
                double w2 = weights[i + 2];
                double w3 = weights[i + 3];
                for (int c = 0; c < d; c++) {
                    double sum = out[o + c];
                    sum += w0 * values[v0 + c];
                    sum += w1 * values[v1 + c];
                    sum += w2 * values[v2 + c];
                    sum += w3 * values[v3 + c];
                    out[o + c] = sum;
                }
            }
            for (; i < count; i++) {
                int v = at + slots[i] * d;
                double w = weights[i];
                for (int c = 0; c < d; c++) {
                    out[o + c] += w * values[v + c];
                }
            }
        }

        @Override
        public FloatLayer pickRows(int[] rows, int batch) {
            int rowSize = keys.length / batch;
            FloatLayer out = new FloatLayer(rows.length * rowSize, capacity);
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(keys, rows[r] * rowSize, out.keys, r * rowSize, rowSize);
                System.arraycopy(values, rows[r] * rowSize, out.values, r * rowSize, rowSize);
            }
            return out;
        }
    }

    /** A float64 layer. */
    record DoubleLayer(double[] keys, double[] values, int capacity) implements Layer {
        DoubleLayer(int size, int capacity) {
            this(new double[size], new double[size], capacity);
        }

        @Override
        public void put(int dst, double[] src, int k, int v, int d) {
            System.arraycopy(src, k, keys, dst, d);
            System.arraycopy(src, v, values, dst, d);
        }

        @Override
        public void dotKeys(int at, int count, double[] q, int qAt, int d, double[] scores) {
            // Four keys at a time: four independent sums, each added in the order of one key's dot product (so the
            // bits are those of one key at a time), which the processor overlaps where one sum's additions would
            // each wait for the last.
            int j = 0;
            for (; j + 4 <= count; j += 4) {
                int k0 = at + j * d;
                int k1 = k0 + d;
                int k2 = k1 + d;
                int k3 = k2 + d;
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                for (int c = 0; c < d; c++) {
                    double qc = q[qAt + c];
                    s0 += keys[k0 + c] * qc;
                    s1 += keys[k1 + c] * qc;
                    s2 += keys[k2 + c] * qc;
                    s3 += keys[k3 + c] * qc;
                }
                scores[j] = s0;
                scores[j + 1] = s1;
                scores[j + 2] = s2;
                scores[j + 3] = s3;
            }
            for (; j < count; j++) {
                int k = at + j * d;
                double s = 0;
                for (int c = 0; c < d; c++) {
                    s += keys[k + c] * q[qAt + c];
                }
                scores[j] = s;
            }
        }

        @Override
        public void addValues(int at, int[] slots, double[] weights, int count, double[] out, int o, int d) {
            // Four values per pass over out: each element takes their four products in list order, as four passes
            // would, with a quarter of the loads and stores of out.
            int i = 0;
            for (; i + 4 <= count; i += 4) {
                int v0 = at + slots[i] * d;
                int v1 = at + slots[i + 1] * d;
                int v2 = at + slots[i + 2] * d;
                int v3 = at + slots[i + 3] * d;
                double w0 = weights[i];
                double w1 = weights[i + 1];
                double w2 = weights[i + 2];
                double w3 = weights[i + 3];
                for (int c = 0; c < d; c++) {
                    double sum = out[o + c];
                    sum += w0 * values[v0 + c];
                    sum += w1 * values[v1 + c];
                    sum += w2 * values[v2 + c];
                    sum += w3 * values[v3 + c];
                    out[o + c] = sum;
                }
            }
            for (; i < count; i++) {
                int v = at + slots[i] * d;
                double w = weights[i];
                for (int c = 0; c < d; c++) {
                    out[o + c] += w * values[v + c];
                }
            }
        }

        @Override
        public DoubleLayer pickRows(int[] rows, int batch) {
            int rowSize = keys.length / batch;
            DoubleLayer out = new DoubleLayer(rows.length * rowSize, capacity);
            for (int r = 0; r < rows.length; r++) {
                System.arraycopy(keys, rows[r] * rowSize, out.keys, r * rowSize, rowSize);
                System.arraycopy(values, rows[r] * rowSize, out.values, r * rowSize, rowSize);
            }
            return out;
        }
    }

    private static INDArrayIndex[] range(long from, long to) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all()};
    }
}
