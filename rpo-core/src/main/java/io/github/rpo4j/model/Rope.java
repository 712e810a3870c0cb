package io.github.rpo4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Rotary position tables in Hugging Face Llama's "rotate half" layout. */
final class Rope {

    private Rope() {
    }

    /**
     * cos and sin of shape (B, 1, T, D) for the given positions (B*T): frequency i < D/2 is
     * theta^(-2i/D), repeated for the two halves of each head.
     */
    static INDArray[] cosSin(int[] positions, int batch, int time, int headWidth, double theta, DataType type) {
        int half = headWidth / 2;
        double[] invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            invFreq[i] = Math.pow(theta, -2.0 * i / headWidth);
        }
        double[] cos = new double[positions.length * headWidth];
        double[] sin = new double[positions.length * headWidth];
        for (int r = 0; r < positions.length; r++) {
            for (int i = 0; i < half; i++) {
                double angle = positions[r] * invFreq[i];
                double c = Math.cos(angle);
                double s = Math.sin(angle);
                int o = r * headWidth;
                cos[o + i] = c;
                cos[o + i + half] = c;
                sin[o + i] = s;
                sin[o + i + half] = s;
            }
        }
        long[] shape = {batch, 1, time, headWidth};
        return new INDArray[] {Nd4j.create(cos, shape, 'c').castTo(type), Nd4j.create(sin, shape, 'c').castTo(type)};
    }
}
