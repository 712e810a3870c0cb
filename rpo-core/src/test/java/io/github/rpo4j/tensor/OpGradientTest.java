package io.github.rpo4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Finite-difference gradient checks in float64 for every op of the autograd, on random shapes. */
class OpGradientTest {

    private static final double TOLERANCE = 1e-5;
    private final Random random = new Random(42);

    private Tensor p(long... shape) {
        return Tensor.param(GradCheck.randomDouble(random, shape));
    }

    private void check(String what, Function<List<Tensor>, Tensor> f, Tensor... params) {
        GradCheck.Result r = GradCheck.check(f, List.of(params), 7, 60);
        assertTrue(r.passes(TOLERANCE), what + ": " + r);
    }

    /** A random shape with the given rank, each size in [1, 5]. */
    private long[] shape(int rank) {
        long[] s = new long[rank];
        for (int i = 0; i < rank; i++) {
            s[i] = 1 + random.nextInt(5);
        }
        return s;
    }

    @Test
    void matmul2dAllTransposes() {
        for (int rep = 0; rep < 3; rep++) {
            long m = 1 + random.nextInt(5), k = 1 + random.nextInt(5), n = 1 + random.nextInt(5);
            check("A B", ps -> ps.get(0).matmul(ps.get(1)), p(m, k), p(k, n));
            check("A^T B", ps -> ps.get(0).matmul(ps.get(1), true, false), p(k, m), p(k, n));
            check("A B^T", ps -> ps.get(0).matmul(ps.get(1), false, true), p(m, k), p(n, k));
            check("A^T B^T", ps -> ps.get(0).matmul(ps.get(1), true, true), p(k, m), p(n, k));
        }
    }

    @Test
    void matmulBatchedAllTransposes() {
        long b = 3, m = 4, k = 2, n = 5;
        check("bA bB", ps -> ps.get(0).matmul(ps.get(1)), p(b, m, k), p(b, k, n));
        check("bA^T bB", ps -> ps.get(0).matmul(ps.get(1), true, false), p(b, k, m), p(b, k, n));
        check("bA bB^T", ps -> ps.get(0).matmul(ps.get(1), false, true), p(b, m, k), p(b, n, k));
        check("bA^T bB^T", ps -> ps.get(0).matmul(ps.get(1), true, true), p(b, k, m), p(b, n, k));
    }

    @Test
    void elementwiseWithBroadcasting() {
        long[][][] cases = {
            {{2, 3, 4}, {2, 3, 4}},
            {{2, 3, 4}, {4}},
            {{2, 3, 4}, {3, 1}},
            {{2, 1, 4}, {1, 3, 1}},
            {{5}, {2, 5}},
        };
        for (long[][] c : cases) {
            check("add", ps -> ps.get(0).add(ps.get(1)), p(c[0]), p(c[1]));
            check("sub", ps -> ps.get(0).sub(ps.get(1)), p(c[0]), p(c[1]));
            check("mul", ps -> ps.get(0).mul(ps.get(1)), p(c[0]), p(c[1]));
            // keep divisors away from zero
            Tensor divisor = Tensor.param(GradCheck.randomDouble(random, c[1]).addi(3.0));
            check("div", ps -> ps.get(0).div(ps.get(1)), p(c[0]), divisor);
        }
    }

    @Test
    void unaryOps() {
        long[] s = shape(3);
        check("scale", ps -> ps.get(0).scale(-2.5), p(s));
        check("addScalar", ps -> ps.get(0).addScalar(1.5), p(s));
        check("neg", ps -> ps.get(0).neg(), p(s));
        check("exp", ps -> ps.get(0).exp(), p(s));
        check("log", ps -> ps.get(0).log(), Tensor.param(GradCheck.randomDouble(random, s).addi(2.0)));
        check("tanh", ps -> ps.get(0).tanh(), p(s));
        check("square", ps -> ps.get(0).square(), p(s));
        check("gelu", ps -> ps.get(0).scale(3).gelu(), p(s));
        check("silu", ps -> ps.get(0).scale(3).silu(), p(s));
        check("softmax", ps -> ps.get(0).scale(3).softmax(), p(s));
        check("logSoftmax", ps -> ps.get(0).scale(3).logSoftmax(), p(s));
        check("dropout", ps -> ps.get(0).dropout(0.3, new Random(5)), p(4, 6));
    }

    @Test
    void reductions() {
        long[] s = {3, 4, 5};
        check("sum all", ps -> ps.get(0).sum(), p(s));
        check("sum axis 1", ps -> ps.get(0).sum(false, 1), p(s));
        check("sum axes 0,2 keep", ps -> ps.get(0).sum(true, 0, 2), p(s));
        check("mean all", ps -> ps.get(0).mean(), p(s));
        check("mean last keep", ps -> ps.get(0).mean(true, 2), p(s));
    }

    @Test
    void shapeOps() {
        check("reshape", ps -> ps.get(0).reshape(6, 4), p(2, 3, 4));
        check("permute", ps -> ps.get(0).permute(2, 0, 1).mul(Tensor.constant(GradCheck.randomDouble(new Random(1), 4, 2, 3))),
                p(2, 3, 4));
        check("transpose", ps -> ps.get(0).transpose(0, 2), p(2, 3, 4));
        check("slice", ps -> ps.get(0).slice(1, 1, 3), p(2, 4, 3));
        check("slice last", ps -> ps.get(0).slice(-1, 0, 2), p(2, 4, 3));
        check("concat", ps -> Tensor.concat(1, ps.get(0), ps.get(1), ps.get(0)), p(2, 3, 2), p(2, 1, 2));
    }

    @Test
    void embeddingWithRepeatedIds() {
        int[] ids = {3, 0, 3, 1, 3};
        check("embedding", ps -> Ops.embedding(ps.get(0), ids), p(5, 4));
        assertThrows(IllegalArgumentException.class, () -> Ops.embedding(p(5, 4), new int[] {5}));
    }

    @Test
    void linearBothLayoutsWithAndWithoutBias() {
        long n = 4, in = 3, out = 5;
        check("x W + b", ps -> Ops.linear(ps.get(0), ps.get(1), ps.get(2), false), p(n, in), p(in, out), p(out));
        check("x W^T + b", ps -> Ops.linear(ps.get(0), ps.get(1), ps.get(2), true), p(n, in), p(out, in), p(out));
        check("x W", ps -> Ops.linear(ps.get(0), ps.get(1), null, false), p(n, in), p(in, out));
        // the same input through two layers: its two gradient shares add up
        check("shared input", ps -> Ops.linear(ps.get(0), ps.get(1), null, false)
                .add(Ops.linear(ps.get(0), ps.get(2), ps.get(3), true)), p(n, in), p(in, out), p(out, in), p(out));
    }

    @Test
    void columnSumsAsProductEqualPlainSums() {
        INDArray g = GradCheck.randomDouble(random, 7, 3, 5);
        INDArray reduced = Broadcast.reduceTo(g, new long[] {5});
        INDArray plain = g.sum(0, 1);
        assertTrue(reduced.equalsWithEps(plain, 1e-12), reduced + " vs " + plain);
    }

    @Test
    void embeddingSumWithRepeatedIdsEqualsTwoLookups() {
        int[] ids = {1, 3, 1, 0};
        int[] pos = {0, 1, 2, 0};
        check("embeddingSum", ps -> Ops.embeddingSum(ps.get(0), ids, ps.get(1), pos), p(4, 3), p(3, 3));
        Tensor tok = p(4, 3);
        Tensor wpe = p(3, 3);
        INDArray fused = Ops.embeddingSum(tok, ids, wpe, pos).value();
        INDArray plain = Ops.embedding(tok, ids).add(Ops.embedding(wpe, pos)).value();
        assertTrue(fused.equalsWithEps(plain, 1e-12));
        assertThrows(IllegalArgumentException.class, () -> Ops.embeddingSum(tok, new int[] {4}, wpe, new int[] {0}));
    }

    @Test
    void norms() {
        check("layerNorm", ps -> Ops.layerNorm(ps.get(0), ps.get(1), ps.get(2), 1e-5), p(2, 3, 6), p(6), p(6));
        check("layerNorm no bias", ps -> Ops.layerNorm(ps.get(0), ps.get(1), null, 1e-5), p(4, 5), p(5));
        check("rmsNorm", ps -> Ops.rmsNorm(ps.get(0), ps.get(1), 1e-6), p(2, 3, 6), p(6));
    }

    @Test
    void ropeAndRepeatHeads() {
        long b = 2, h = 3, t = 4, d = 6;
        INDArray cos = GradCheck.randomDouble(random, 1, 1, t, d);
        INDArray sin = GradCheck.randomDouble(random, b, 1, t, d);
        check("rope", ps -> Ops.rope(ps.get(0), cos, sin), p(b, h, t, d));
        check("repeatHeads", ps -> Ops.repeatHeads(ps.get(0), 3), p(b, 2, t, d));
    }

    @Test
    void causalAttention() {
        check("attention self", ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), null),
                p(3, 5, 4), p(3, 5, 4), p(3, 5, 4));
        check("attention with cache offset", ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), null),
                p(2, 2, 4), p(2, 6, 4), p(2, 6, 4));
        INDArray padding = Nd4j.create(new double[][] {{1, 1, 0, 1, 1}, {1, 0, 1, 1, 1}});
        check("attention with key padding", ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), padding),
                p(2, 5, 4), p(2, 5, 4), p(2, 5, 4));
        check("attention in a sliding window", ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), null, 0, 2),
                p(2, 5, 4), p(2, 5, 4), p(2, 5, 4));
        check("attention in a sliding window with cache offset",
                ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), padding, 2, 3), p(2, 3, 4), p(2, 5, 4), p(2, 5, 4));
    }

    @Test
    void causalSelfAttentionFromFusedProjection() {
        check("self-attention from qkv", ps -> Ops.causalSelfAttention(ps.get(0), 2, 3, 2, null), p(6, 3 * 2 * 3));
    }

    @Test
    void crossEntropyWithIgnoredPositions() {
        int[] targets = {2, -100, 0, 4, -100, 1};
        check("crossEntropy", ps -> Ops.crossEntropy(ps.get(0).scale(2), targets, -100), p(6, 5));
        // by hand: uniform logits over V=5 give log 5 per counted position
        Tensor flat = Tensor.constant(Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.DOUBLE, 6, 5));
        assertEquals(Math.log(5), Ops.crossEntropy(flat, targets, -100).value().getDouble(0), 1e-12);
    }

    @Test
    void gradientsAccumulateAcrossBackwardPasses() {
        Tensor x = Tensor.param(Nd4j.create(new double[] {1, 2, 3}));
        x.square().sum().backward();
        x.square().sum().backward();
        assertEquals(Nd4j.create(new double[] {4, 8, 12}), x.grad());
        assertEquals(0, Tape.size());
    }

    @Test
    void noGradRecordsNothing() {
        Tensor x = p(3, 3);
        try (Tape.Scope ignored = Tape.noGrad()) {
            Tensor y = x.matmul(x).gelu();
            assertTrue(!y.requiresGrad());
        }
        assertEquals(0, Tape.size());
    }

    @Test
    void sharedInputsSumTheirGradients() {
        // y = x*x + x*x via two paths through the same node
        List<Tensor> seen = new ArrayList<>();
        check("diamond", ps -> {
            Tensor a = ps.get(0).tanh();
            seen.add(a);
            return a.mul(a).add(a.matmul(ps.get(1)));
        }, p(3, 3), p(3, 3));
    }
}
