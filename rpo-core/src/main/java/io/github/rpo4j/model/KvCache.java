package io.github.rpo4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Keys and values of every layer for the positions decoded so far, preallocated to a capacity.
 * Each layer holds k and v of shape (B, Hkv, capacity, D); positions [0, length) are filled.
 */
public final class KvCache {

    private final INDArray[] keys;
    private final INDArray[] values;
    private final int capacity;
    private int length;

    public KvCache(ModelConfig config, int batch, int capacity, DataType type) {
        this(new INDArray[config.layers()], new INDArray[config.layers()], capacity, 0);
        for (int l = 0; l < config.layers(); l++) {
            keys[l] = Nd4j.zeros(type, batch, config.kvHeads(), capacity, config.headWidth());
            values[l] = Nd4j.zeros(type, batch, config.kvHeads(), capacity, config.headWidth());
        }
    }

    private KvCache(INDArray[] keys, INDArray[] values, int capacity, int length) {
        this.keys = keys;
        this.values = values;
        this.capacity = capacity;
        this.length = length;
    }

    /** Positions filled so far. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public long batch() {
        return keys[0].size(0);
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
        INDArray[] k = new INDArray[keys.length];
        INDArray[] v = new INDArray[values.length];
        for (int l = 0; l < keys.length; l++) {
            k[l] = pickRows(keys[l], rows);
            v[l] = pickRows(values[l], rows);
        }
        return new KvCache(k, v, capacity, length);
    }

    /** Rows of the first axis of a (B, Hkv, capacity, D) array, as a new contiguous array. */
    private static INDArray pickRows(INDArray a, int[] rows) {
        long[] shape = a.shape().clone();
        INDArray picked = a.reshape('c', shape[0], -1).getRows(rows);
        shape[0] = rows.length;
        return picked.reshape('c', shape);
    }

    private static INDArrayIndex[] range(long from, long to) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all()};
    }
}
