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

    private static void assertClose(INDArray expected, INDArray actual, String what) {
        double diff = expected.sub(actual).amaxNumber().doubleValue();
        assertTrue(diff < 1e-10, what + " differs by " + diff);
    }
}
