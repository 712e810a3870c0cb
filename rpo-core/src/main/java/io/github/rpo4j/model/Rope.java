package io.github.rpo4j.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Rotary position tables in Hugging Face Llama's "rotate half" layout. */
final class Rope {

    private Rope() {
    }

    /**
     * The D/2 inverse frequencies of a configuration: theta^(-2i/D) for i < D/2, D the head width,
     * then rescaled by its {@link RopeScaling}.
     */
    static double[] inverseFrequencies(ModelConfig config) {
        int headWidth = config.headWidth();
        double[] invFreq = new double[headWidth / 2];
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = Math.pow(config.ropeTheta(), -2.0 * i / headWidth);
        }
        return config.ropeScaling().rescale(invFreq);
    }

    /**
     * cos and sin of shape (B, 1, T, D) for the given positions (B*T): frequency i < D/2 is
     * {@code invFreq[i]}, repeated for the two halves of each head.
     */
    static INDArray[] cosSin(int[] positions, int batch, int time, double[] invFreq, DataType type) {
        int half = invFreq.length;
        int headWidth = 2 * half;
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
