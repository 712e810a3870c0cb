package io.github.rpo4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.rpo4j.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The in-place AdamW update against a plain scalar implementation of PyTorch's formula. */
class AdamWTest {

    @Test
    void matchesScalarReferenceOverSeveralSteps() {
        Random random = new Random(3);
        double[] w = new double[12]; // a (3, 4) matrix, decayed
        double[] b = new double[4]; // a vector, not decayed
        for (int i = 0; i < w.length; i++) {
            w[i] = random.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = random.nextGaussian();
        }
        Tensor wt = Tensor.param(Nd4j.create(w.clone(), new long[] {3, 4}, 'c'));
        Tensor bt = Tensor.param(Nd4j.create(b.clone(), new long[] {4}, 'c'));
        Map<String, Tensor> params = new LinkedHashMap<>();
        params.put("w", wt);
        params.put("b", bt);
        AdamW.Settings s = AdamW.Settings.defaults();
        AdamW opt = new AdamW(params, s);
        double[] mw = new double[w.length], vw = new double[w.length], mb = new double[b.length], vb = new double[b.length];
        double lr = 0.05;
        for (int step = 1; step <= 4; step++) {
            double[] gw = new double[w.length];
            double[] gb = new double[b.length];
            for (int i = 0; i < gw.length; i++) {
                gw[i] = random.nextGaussian();
            }
            for (int i = 0; i < gb.length; i++) {
                gb[i] = random.nextGaussian();
            }
            wt.accumulate(Nd4j.create(gw, new long[] {3, 4}, 'c'));
            bt.accumulate(Nd4j.create(gb, new long[] {4}, 'c'));
            opt.step(lr);
            reference(w, gw, mw, vw, s, lr, step, true);
            reference(b, gb, mb, vb, s, lr, step, false);
            assertClose(w, wt.value());
            assertClose(b, bt.value());
            assertEquals(null, wt.grad());
        }
    }

    private static void reference(double[] p, double[] g, double[] m, double[] v, AdamW.Settings s, double lr,
                                  int step, boolean decay) {
        double bias1 = 1 - Math.pow(s.beta1(), step);
        double bias2 = 1 - Math.pow(s.beta2(), step);
        for (int i = 0; i < p.length; i++) {
            if (decay) {
                p[i] *= 1 - lr * s.weightDecay();
            }
            m[i] = s.beta1() * m[i] + (1 - s.beta1()) * g[i];
            v[i] = s.beta2() * v[i] + (1 - s.beta2()) * g[i] * g[i];
            p[i] -= lr * (m[i] / bias1) / (Math.sqrt(v[i] / bias2) + s.eps());
        }
    }

    private static void assertClose(double[] expected, INDArray actual) {
        assertEquals(DataType.DOUBLE, actual.dataType());
        double[] a = actual.dup('c').data().asDouble();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], a[i], 1e-12, "element " + i);
        }
    }
}
