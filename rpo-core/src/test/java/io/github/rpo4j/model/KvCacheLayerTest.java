package io.github.rpo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KvCacheLayerTest {

    /** The plain dot product of one key with q: the reference the blocked kernel must equal bit for bit. */
    private static double dot(KvCache.Layer layer, int at, double[] q, int qAt, int d) {
        double s = 0;
        for (int c = 0; c < d; c++) {
            s += (layer instanceof KvCache.FloatLayer f ? f.keys()[at + c] : ((KvCache.DoubleLayer) layer).keys()[at + c])
                    * q[qAt + c];
        }
        return s;
    }

    @Test
    void dotKeysEqualsOneKeyAtATimeBitForBit() {
        Random random = new Random(7);
        int d = 5;
        int capacity = 11;
        for (KvCache.Layer layer : List.<KvCache.Layer>of(new KvCache.FloatLayer(2 * capacity * d, capacity),
                new KvCache.DoubleLayer(2 * capacity * d, capacity))) {
            double[] src = new double[2 * d];
            for (int slot = 0; slot < 2 * capacity; slot++) {
                for (int i = 0; i < src.length; i++) {
                    src[i] = random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3); // sums that round
                }
                layer.put(slot * d, src, 0, d, d);
            }
            double[] q = new double[3 + d];
            for (int i = 0; i < q.length; i++) {
                q[i] = random.nextGaussian();
            }
            for (int count = 0; count <= capacity; count++) {
                int at = capacity * d; // the second row's slot 0
                double[] scores = new double[capacity + 1];
                scores[count] = 42; // beyond count: untouched
                layer.dotKeys(at, count, q, 3, d, scores);
                for (int j = 0; j < count; j++) {
                    assertEquals(Double.doubleToRawLongBits(dot(layer, at + j * d, q, 3, d)),
                            Double.doubleToRawLongBits(scores[j]), layer.getClass().getSimpleName() + " key " + j
                                    + " of " + count);
                }
                assertEquals(42, scores[count]);
            }
        }
    }

    @Test
    void addValuesEqualsOneValueAtATimeBitForBit() {
        Random random = new Random(8);
        int d = 6;
        int capacity = 13;
        for (KvCache.Layer layer : List.<KvCache.Layer>of(new KvCache.FloatLayer(capacity * d, capacity),
                new KvCache.DoubleLayer(capacity * d, capacity))) {
            double[] src = new double[2 * d];
            for (int slot = 0; slot < capacity; slot++) {
                for (int i = 0; i < src.length; i++) {
                    src[i] = random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3);
                }
                layer.put(slot * d, src, 0, d, d);
            }
            for (int count = 0; count <= 9; count++) {
                int[] slots = new int[count];
                double[] weights = new double[count];
                for (int i = 0; i < count; i++) {
                    slots[i] = random.nextInt(capacity);
                    weights[i] = random.nextDouble();
                }
                double[] expected = new double[2 + d];
                double[] actual = new double[2 + d];
                for (int c = 0; c < expected.length; c++) {
                    expected[c] = actual[c] = random.nextGaussian();
                }
                for (int i = 0; i < count; i++) { // the reference: one value at a time, as the list orders them
                    for (int c = 0; c < d; c++) {
                        double v = layer instanceof KvCache.FloatLayer f ? f.values()[slots[i] * d + c]
                                : ((KvCache.DoubleLayer) layer).values()[slots[i] * d + c];
                        expected[1 + c] += weights[i] * v;
                    }
                }
                layer.addValues(0, slots, weights, count, actual, 1, d);
                for (int c = 0; c < expected.length; c++) {
                    assertEquals(Double.doubleToRawLongBits(expected[c]), Double.doubleToRawLongBits(actual[c]),
                            layer.getClass().getSimpleName() + " element " + c + " after " + count + " values");
                }
            }
        }
    }
}
