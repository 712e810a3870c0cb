package io.github.rpo4j.tensor;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The fused causal attention against the same function composed from primitive ops, forward and backward. */
class AttentionCompositionTest {

    /** softmax(q k^T / sqrt(D) + causal mask) v from primitive ops: the plain reference. */
    static Tensor composed(Tensor q, Tensor k, Tensor v) {
        long tq = q.size(1);
        long tk = k.size(1);
        INDArray mask = Ops.causalMask(tq, tk, q.dataType());
        return q.matmul(k, false, true).scale(1.0 / Math.sqrt(q.size(2)))
                .add(Tensor.constant(mask)).softmax().matmul(v);
    }

    /**
     * softmax(q k^T / sqrt(D) + mask) v from primitive ops with a mask built here from its definition: query i,
     * at key position p = Tk - Tq + i, sees keys p - window + 1 .. p.
     */
    static Tensor composedInWindow(Tensor q, Tensor k, Tensor v, int window) {
        long tq = q.size(1);
        long tk = k.size(1);
        INDArray mask = org.nd4j.linalg.factory.Nd4j.zeros(q.dataType(), 1, tq, tk);
        for (long i = 0; i < tq; i++) {
            long p = tk - tq + i;
            for (long j = 0; j < tk; j++) {
                if (j > p || j <= p - window) {
                    mask.putScalar(new long[] {0, i, j}, -1e9);
                }
            }
        }
        return q.matmul(k, false, true).scale(1.0 / Math.sqrt(q.size(2)))
                .add(Tensor.constant(mask)).softmax().matmul(v);
    }

    @Test
    void slidingWindowAttentionMatchesCompositionForwardAndBackward() {
        Random random = new Random(4);
        for (long[] s : new long[][] {{4, 7, 8, 7, 3}, {2, 3, 5, 9, 4}, {2, 6, 4, 6, 1}}) { // BH, Tq, D, Tk, window
            INDArray qv = GradCheck.randomDouble(random, s[0], s[1], s[2]).muli(2);
            INDArray kv = GradCheck.randomDouble(random, s[0], s[3], s[2]).muli(2);
            INDArray vv = GradCheck.randomDouble(random, s[0], s[3], s[2]);
            INDArray seed = GradCheck.randomDouble(random, s[0], s[1], s[2]);

            Tensor q1 = Tensor.param(qv.dup()), k1 = Tensor.param(kv.dup()), v1 = Tensor.param(vv.dup());
            Tensor fused = Ops.causalAttention(q1, k1, v1, null, s[3] - s[1], (int) s[4]);
            fused.backward(seed);

            Tensor q2 = Tensor.param(qv.dup()), k2 = Tensor.param(kv.dup()), v2 = Tensor.param(vv.dup());
            Tensor plain = composedInWindow(q2, k2, v2, (int) s[4]);
            plain.backward(seed);

            assertClose(plain.value(), fused.value(), "output, window " + s[4]);
            assertClose(q2.grad(), q1.grad(), "dq, window " + s[4]);
            assertClose(k2.grad(), k1.grad(), "dk, window " + s[4]);
            assertClose(v2.grad(), v1.grad(), "dv, window " + s[4]);
        }
    }

    @Test
    void fusedMatchesCompositionForwardAndBackward() {
        Random random = new Random(3);
        for (long[] s : new long[][] {{4, 7, 8, 7}, {2, 3, 5, 9}}) { // BH, Tq, D, Tk
            INDArray qv = GradCheck.randomDouble(random, s[0], s[1], s[2]).muli(2);
            INDArray kv = GradCheck.randomDouble(random, s[0], s[3], s[2]).muli(2);
            INDArray vv = GradCheck.randomDouble(random, s[0], s[3], s[2]);
            INDArray seed = GradCheck.randomDouble(random, s[0], s[1], s[2]);

            Tensor q1 = Tensor.param(qv.dup()), k1 = Tensor.param(kv.dup()), v1 = Tensor.param(vv.dup());
            Tensor fused = Ops.causalAttention(q1, k1, v1, null);
            fused.backward(seed);

            Tensor q2 = Tensor.param(qv.dup()), k2 = Tensor.param(kv.dup()), v2 = Tensor.param(vv.dup());
            Tensor plain = composed(q2, k2, v2);
            plain.backward(seed);

            assertClose(plain.value(), fused.value(), "output");
            assertClose(q2.grad(), q1.grad(), "dq");
            assertClose(k2.grad(), k1.grad(), "dk");
            assertClose(v2.grad(), v1.grad(), "dv");
        }
    }

    /** Slices, head splits and merges of the unfused path around {@link Ops#causalAttention}: the reference. */
    static Tensor composedSelfAttention(Tensor qkv, int batch, int time, int heads, INDArray padding) {
        long width = qkv.size(1) / 3;
        long d = width / heads;
        Tensor[] qkvHeads = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            qkvHeads[i] = qkv.slice(1, i * width, (i + 1) * width).reshape(batch, time, heads, d)
                    .permute(0, 2, 1, 3).reshape((long) batch * heads, time, d); // (B*H, T, D)
        }
        Tensor att = Ops.causalAttention(qkvHeads[0], qkvHeads[1], qkvHeads[2], padding);
        return att.reshape(batch, heads, time, d).permute(0, 2, 1, 3).reshape((long) batch * time, width);
    }

    @Test
    void fusedSelfAttentionMatchesSlicedHeads() {
        Random random = new Random(5);
        int batch = 2, time = 5, heads = 3, d = 4;
        INDArray padding = org.nd4j.linalg.factory.Nd4j.create(new double[][] {{0, 1, 1, 1, 1}, {1, 1, 1, 1, 1}});
        INDArray rows = padding.reshape(batch, 1, time).broadcast(batch, heads, time).dup('c').reshape(batch * heads, time);
        for (INDArray pad : new INDArray[] {null, rows}) {
            INDArray x = GradCheck.randomDouble(random, batch * time, 3 * heads * d).muli(2);
            INDArray seed = GradCheck.randomDouble(random, batch * time, heads * d);
            Tensor a = Tensor.param(x.dup());
            Tensor fused = Ops.causalSelfAttention(a, batch, time, heads, pad);
            fused.backward(seed);
            Tensor b = Tensor.param(x.dup());
            Tensor plain = composedSelfAttention(b, batch, time, heads, pad);
            plain.backward(seed);
            assertClose(plain.value(), fused.value(), "output");
            assertClose(b.grad(), a.grad(), "dqkv");
        }
    }

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff < 1e-10, what + " differs by " + diff);
    }
}
