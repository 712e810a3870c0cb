package io.github.rpo4j.tensor;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every kernel of {@link FusedKernels} against the ND4J composition it replaces (the plain
 * reference), forward and backward, in float64 (equal to rounding) and float32 (equal to float32
 * rounding); and the compositions keep their own float64 finite-difference checks.
 */
class FusedKernelsTest {

    private final Random random = new Random(11);

    @AfterEach
    void restore() {
        FusedKernels.setEnabled(true);
    }

    /** Runs f with the kernels on and off on copies of the same inputs; compares outputs and gradients. */
    private void compare(String what, DataType type, double tolerance, Function<List<Tensor>, Tensor> f, INDArray... inputs) {
        INDArray seed = null;
        List<INDArray[]> results = new ArrayList<>();
        for (boolean fused : new boolean[] {true, false}) {
            FusedKernels.setEnabled(fused);
            List<Tensor> params = new ArrayList<>();
            for (INDArray in : inputs) {
                params.add(Tensor.param(in.castTo(type).dup('c')));
            }
            Tensor out = f.apply(params);
            if (seed == null) {
                seed = GradCheck.randomDouble(new Random(5), out.shape()).castTo(type);
            }
            out.backward(seed.dup());
            INDArray[] r = new INDArray[inputs.length + 1];
            r[0] = out.value();
            for (int i = 0; i < inputs.length; i++) {
                assertNotNull(params.get(i).grad(), what + ": no gradient for input " + i);
                r[i + 1] = params.get(i).grad();
            }
            results.add(r);
        }
        for (int i = 0; i < results.get(0).length; i++) {
            INDArray fused = results.get(0)[i].castTo(DataType.DOUBLE);
            INDArray plain = results.get(1)[i].castTo(DataType.DOUBLE);
            double scale = Math.max(1.0, plain.amaxNumber().doubleValue());
            double diff = fused.sub(plain).amaxNumber().doubleValue() / scale;
            assertTrue(diff <= tolerance, what + " (" + type + ") " + (i == 0 ? "output" : "gradient " + (i - 1))
                    + " differs by " + diff + " (relative to its largest element)");
        }
    }

    private void compareBothTypes(String what, Function<List<Tensor>, Tensor> f, INDArray... inputs) {
        compare(what, DataType.DOUBLE, 1e-12, f, inputs);
        compare(what, DataType.FLOAT, 2e-6, f, inputs);
    }

    private INDArray rnd(double scale, long... shape) {
        return GradCheck.randomDouble(random, shape).muli(scale);
    }

    @Test
    void geluMatchesTheCompositionIncludingLargeArguments() {
        INDArray x = rnd(3, 7, 13);
        x.putScalar(0, 0, 30.0); // tanh saturates at +1
        x.putScalar(0, 1, -30.0); // and at -1
        x.putScalar(0, 2, 0.0);
        compareBothTypes("gelu", ps -> ps.get(0).gelu(), x);
    }

    @Test
    void floatTanhIsWithinAFewUlpsOfTheExactOne() {
        double worst = 0;
        for (int i = -200_000; i <= 200_000; i++) {
            float x = i * 1e-4f; // [-20, 20]
            double exact = Math.tanh(x);
            double ulp = Math.ulp((float) exact);
            worst = Math.max(worst, Math.abs(FusedKernels.tanhFloat(x) - exact) / Math.max(ulp, Math.ulp(1e-3f)));
            if (Math.abs(x) > 9.1f) {
                assertTrue(FusedKernels.tanhFloat(x) == Math.signum(x), "tanh(" + x + ") is +-1 in float32");
            }
        }
        assertTrue(worst <= 8, "worst error " + worst + " ulps");
    }

    @Test
    void layerNormMatchesTheComposition() {
        compareBothTypes("layerNorm", ps -> Ops.layerNorm(ps.get(0), ps.get(1), ps.get(2), 1e-5),
                rnd(2, 3, 4, 24).addi(0.5), rnd(1, 24).addi(1), rnd(1, 24));
        compareBothTypes("layerNorm without bias", ps -> Ops.layerNorm(ps.get(0), ps.get(1), null, 1e-5),
                rnd(2, 6, 10), rnd(1, 10).addi(1));
    }

    @Test
    void attentionSoftmaxMatchesTheComposition() {
        long bh = 4;
        long d = 8;
        compareBothTypes("attention", ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), null),
                rnd(2, bh, 9, d), rnd(2, bh, 9, d), rnd(1, bh, 9, d));
        compareBothTypes("attention with a cache offset", ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), null, 3),
                rnd(2, bh, 4, d), rnd(2, bh, 11, d), rnd(1, bh, 11, d));
        // padding, including a row whose first keys are all padding (its first queries see only masked keys)
        INDArray padding = Nd4j.ones(DataType.DOUBLE, bh, 9);
        for (int j = 0; j < 3; j++) {
            padding.putScalar(0, j, 0.0);
        }
        padding.putScalar(2, 5, 0.0);
        compare("attention with key padding", DataType.DOUBLE, 1e-12,
                ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), padding),
                rnd(2, bh, 9, d), rnd(2, bh, 9, d), rnd(1, bh, 9, d));
        // float32: the rows that see only padding are left out of the comparison by zero seed (see below)
        compare("attention with key padding", DataType.FLOAT, 2e-6,
                ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), padding.castTo(DataType.FLOAT))
                        .mul(Tensor.constant(seenRows(bh, 9, d, padding))),
                rnd(2, bh, 9, d), rnd(2, bh, 9, d), rnd(1, bh, 9, d));
        compareBothTypes("attention in a sliding window", ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), null, 0, 3),
                rnd(2, bh, 9, d), rnd(2, bh, 9, d), rnd(1, bh, 9, d));
        compareBothTypes("attention in a sliding window with a cache offset",
                ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), null, 5, 4),
                rnd(2, bh, 4, d), rnd(2, bh, 11, d), rnd(1, bh, 11, d));
        compare("attention in a sliding window with key padding", DataType.DOUBLE, 1e-12,
                ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), padding, 0, 4),
                rnd(2, bh, 9, d), rnd(2, bh, 9, d), rnd(1, bh, 9, d));
        compareBothTypes("self-attention from qkv", ps -> Ops.causalSelfAttention(ps.get(0), 2, 6, 3, null),
                rnd(2, 12, 3 * 3 * 4));
    }

    /**
     * (BH, T, D) with 0 on the queries that see no unpadded key and 1 elsewhere. In float32 the
     * composition adds the mask constant -1e9 to such a row's scores, which rounds them all to the
     * same value, where the kernel (in double) keeps their differences: both are arbitrary.
     */
    private static INDArray seenRows(long bh, long t, long d, INDArray padding) {
        INDArray w = Nd4j.ones(DataType.FLOAT, bh, t, d);
        for (int b = 0; b < bh; b++) {
            for (int i = 0; i < t; i++) {
                boolean sees = false;
                for (int j = 0; j <= i; j++) {
                    sees |= padding.getDouble(b, j) != 0;
                }
                if (!sees) {
                    for (int c = 0; c < d; c++) {
                        w.putScalar(new long[] {b, i, c}, 0f);
                    }
                }
            }
        }
        return w;
    }

    @Test
    void theCompositionsKeepTheirFiniteDifferenceChecks() {
        FusedKernels.setEnabled(false);
        List<Object[]> cases = List.of(
                new Object[] {"gelu", (Function<List<Tensor>, Tensor>) ps -> ps.get(0).scale(3).gelu(), new long[][] {{3, 4}}},
                new Object[] {"layerNorm", (Function<List<Tensor>, Tensor>) ps -> Ops.layerNorm(ps.get(0), ps.get(1), ps.get(2), 1e-5),
                    new long[][] {{3, 6}, {6}, {6}}},
                new Object[] {"attention", (Function<List<Tensor>, Tensor>) ps -> Ops.causalAttention(ps.get(0), ps.get(1), ps.get(2), null, 1),
                    new long[][] {{2, 3, 4}, {2, 5, 4}, {2, 5, 4}}});
        for (Object[] c : cases) {
            List<Tensor> params = new ArrayList<>();
            for (long[] shape : (long[][]) c[2]) {
                params.add(Tensor.param(GradCheck.randomDouble(random, shape)));
            }
            @SuppressWarnings("unchecked")
            Function<List<Tensor>, Tensor> f = (Function<List<Tensor>, Tensor>) c[1];
            GradCheck.Result r = GradCheck.check(f, params, 7, 60);
            assertTrue(r.passes(1e-5), c[0] + " (ND4J composition): " + r);
        }
    }

    @Test
    void theKernelsRunOnTheCpuBackend() {
        assertTrue(FusedKernels.enabled(), "kernels off on the CPU backend");
        assertTrue(FusedKernels.applies(Nd4j.create(DataType.FLOAT, 2, 3)));
        // a view into a larger buffer goes to the composition
        assertTrue(!FusedKernels.applies(Nd4j.create(DataType.FLOAT, 4, 3).getRow(1)));
    }

    @Test
    void causalMasksAreBounded() {
        for (int offset = 0; offset < 3 * Ops.MASKS_KEPT; offset++) {
            Ops.causalMask(1, 64, offset, DataType.FLOAT);
        }
        assertTrue(Ops.masksKept() <= Ops.MASKS_KEPT, "masks kept: " + Ops.masksKept());
    }
}
