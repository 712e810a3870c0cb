package io.github.rpo4j.losses;

import static io.github.rpo4j.losses.GradientCheck.assertClose;
import static io.github.rpo4j.losses.GradientCheck.centralDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TokenLogProbsTest {

    /** B sequences of T positions; the first {@code promptLength} positions and a random tail are masked. */
    private record Case(INDArray logits, INDArray targets, INDArray mask, int b, int t, int v) {
    }

    private static Case randomCase(int b, int t, int v, DataType type, long seed) {
        Random rng = new Random(seed);
        INDArray logits = Nd4j.rand(DataType.DOUBLE, b * t, v).subi(0.5).muli(8).castTo(type); // (N, V)
        int[][] targets = new int[b][t];
        int[][] mask = new int[b][t];
        for (int i = 0; i < b; i++) {
            int prompt = rng.nextInt(Math.max(1, t / 2));
            int end = prompt + 1 + rng.nextInt(t - prompt);
            for (int j = 0; j < t; j++) {
                boolean counted = j >= prompt && j < end;
                mask[i][j] = counted ? 1 : 0;
                targets[i][j] = counted ? rng.nextInt(v) : -100;
            }
        }
        return new Case(logits, Nd4j.createFromArray(targets), Nd4j.createFromArray(mask), b, t, v);
    }

    @ParameterizedTest(name = "V={2} {3}")
    @CsvSource({
        "3, 8, 64, DOUBLE", "3, 8, 64, FLOAT",
        "4, 6, 512, DOUBLE", "4, 6, 512, FLOAT",
        "2, 3, 32000, DOUBLE", "2, 20, 32000, FLOAT"})
    void fusedMatchesReference(int b, int t, int v, DataType type) {
        Nd4j.getRandom().setSeed(11 + v);
        Case c = randomCase(b, t, v, type, v);
        // The reference accumulates in the logits' precision; the fused kernel in double.
        double tol = type == DataType.DOUBLE ? 1e-11 : 5e-4;
        TokenLogProbsResult fused = TokenLogProbs.forward(c.logits, c.targets, c.mask);
        TokenLogProbsResult ref = TokenLogProbsReference.forward(c.logits, c.targets, c.mask);
        assertArrayEquals(ref.completionLengths(), fused.completionLengths());
        assertEquals(type, fused.tokenLogProbs().dataType());
        assertArrayEquals(new long[] {b, t}, fused.tokenLogProbs().shape());
        assertClose(toDoubles(ref.tokenLogProbs()), toDoubles(fused.tokenLogProbs()), tol, tol, "token logps");
        assertClose(ref.sequenceLogProbs(), fused.sequenceLogProbs(), tol, tol, "sequence logps");

        double[] weights = new double[b];
        for (int i = 0; i < b; i++) {
            weights[i] = 0.75 - 0.5 * i;
        }
        INDArray fusedGrad = TokenLogProbs.backwardFromSequenceWeights(c.logits, c.targets, c.mask, weights);
        INDArray refGrad = TokenLogProbsReference.backwardFromSequenceWeights(c.logits, c.targets, c.mask, weights);
        assertEquals(type, fusedGrad.dataType());
        assertArrayEquals(c.logits.shape(), fusedGrad.shape());
        double gradTol = type == DataType.DOUBLE ? 1e-13 : 1e-6;
        assertClose(toDoubles(refGrad), toDoubles(fusedGrad), gradTol, gradTol, "grad logits");

        INDArray tokenWeights = Nd4j.rand(DataType.DOUBLE, b, t).subi(0.5); // (B, T)
        assertClose(toDoubles(TokenLogProbsReference.backwardFromTokenWeights(c.logits, c.targets, c.mask, tokenWeights)),
                toDoubles(TokenLogProbs.backwardFromTokenWeights(c.logits, c.targets, c.mask, tokenWeights)),
                gradTol, gradTol, "grad logits from token weights");
    }

    @Test
    void backwardMatchesFiniteDifferencesInDoublePrecision() {
        Nd4j.getRandom().setSeed(5);
        Case c = randomCase(2, 4, 6, DataType.DOUBLE, 3);
        double[] weights = {1.3, -0.7};
        // f(logits) = Σ_b w_b · seqLogProb_b, evaluated with the fused forward.
        double[] x = toDoubles(c.logits);
        double[] fd = centralDifference(flat -> {
            INDArray logits = Nd4j.createFromArray(flat).reshape(c.b * c.t, c.v);
            double[] seq = TokenLogProbs.forward(logits, c.targets, c.mask).sequenceLogProbs();
            return weights[0] * seq[0] + weights[1] * seq[1];
        }, x, 1e-6);
        double[] analytic = toDoubles(TokenLogProbs.backwardFromSequenceWeights(c.logits, c.targets, c.mask, weights));
        assertClose(fd, analytic, 1e-6, 1e-9, "dL/dlogits");
    }

    @Test
    void smallCaseByHand() {
        // One sequence, T=2, V=3; position 0 is prompt. Row 1 logits (0, ln 2, ln 5):
        // softmax = (1, 2, 5)/8; target 2 → log(5/8) = -0.4700036292457356.
        // Gradient with w = 2: 2·(onehot(2) - softmax) = 2·(-1/8, -2/8, 3/8) = (-0.25, -0.5, 0.75); row 0 zero.
        INDArray logits = Nd4j.createFromArray(new double[][] {{9, 9, 9}, {0, Math.log(2), Math.log(5)}});
        INDArray targets = Nd4j.createFromArray(new int[][] {{-100, 2}});
        INDArray mask = Nd4j.createFromArray(new int[][] {{0, 1}});
        TokenLogProbsResult r = TokenLogProbs.forward(logits, targets, mask);
        assertEquals(Math.log(5.0 / 8), r.sequenceLogProbs()[0], 1e-15);
        assertEquals(0.0, r.tokenLogProbs().getDouble(0, 0), 0);
        assertEquals(1, r.completionLengths()[0]);
        INDArray grad = TokenLogProbs.backwardFromSequenceWeights(logits, targets, mask, new double[] {2});
        assertClose(new double[] {0, 0, 0, -0.25, -0.5, 0.75}, toDoubles(grad), 0, 1e-15, "grad");
    }

    @Test
    void extremeLogitsStayFinite() {
        INDArray logits = Nd4j.createFromArray(new float[][] {{1e4f, -1e4f, 0}, {-3e4f, 3e4f, 88}});
        INDArray targets = Nd4j.createFromArray(new int[][] {{1, 0}});
        INDArray mask = Nd4j.createFromArray(new int[][] {{1, 1}});
        TokenLogProbsResult r = TokenLogProbs.forward(logits, targets, mask);
        // log softmax of row 0 at index 1 = -1e4 - 1e4 = -2e4; row 1 at index 0 = -3e4 - 3e4 = -6e4
        assertEquals(-8e4, r.sequenceLogProbs()[0], 1e-6);
        INDArray grad = TokenLogProbs.backwardFromSequenceWeights(logits, targets, mask, new double[] {1});
        for (double g : toDoubles(grad)) {
            assertTrue(Double.isFinite(g));
        }
    }

    @Test
    void rankThreeAndNonContiguousLogitsGiveTheSameResult() {
        Nd4j.getRandom().setSeed(21);
        Case c = randomCase(2, 5, 9, DataType.FLOAT, 8);
        TokenLogProbsResult flat = TokenLogProbs.forward(c.logits, c.targets, c.mask);
        INDArray rank3 = c.logits.reshape(2, 5, 9);
        assertClose(flat.sequenceLogProbs(), TokenLogProbs.forward(rank3, c.targets, c.mask).sequenceLogProbs(),
                0, 0, "rank 3");
        INDArray fortran = c.logits.dup('f');
        assertClose(flat.sequenceLogProbs(), TokenLogProbs.forward(fortran, c.targets, c.mask).sequenceLogProbs(),
                0, 0, "f order");
        INDArray wide = Nd4j.zeros(DataType.FLOAT, 10, 12);
        wide.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 11))
                .assign(c.logits);
        INDArray view = wide.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 11));
        assertClose(flat.sequenceLogProbs(), TokenLogProbs.forward(view, c.targets, c.mask).sequenceLogProbs(),
                0, 0, "view");
        INDArray grad3 = TokenLogProbs.backwardFromSequenceWeights(rank3, c.targets, c.mask, new double[] {1, 2});
        assertArrayEquals(new long[] {2, 5, 9}, grad3.shape());
        assertClose(toDoubles(TokenLogProbs.backwardFromSequenceWeights(c.logits, c.targets, c.mask, new double[] {1, 2})),
                toDoubles(grad3), 0, 0, "rank 3 grad");
    }

    @Test
    void badInputsAreNamed() {
        INDArray logits = Nd4j.zeros(DataType.FLOAT, 4, 5);
        INDArray targets = Nd4j.createFromArray(new int[][] {{0, 1}, {2, 5}});
        INDArray mask = Nd4j.createFromArray(new int[][] {{1, 1}, {0, 1}});
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> TokenLogProbs.forward(logits, targets, mask));
        assertTrue(range.getMessage().contains("targets[1, 1]"), range.getMessage());
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                () -> TokenLogProbs.forward(Nd4j.zeros(DataType.FLOAT, 3, 5), targets, mask));
        assertTrue(rows.getMessage().contains("logits"), rows.getMessage());
        IllegalArgumentException maskShape = assertThrows(IllegalArgumentException.class,
                () -> TokenLogProbs.forward(logits, targets, Nd4j.ones(DataType.INT, 2, 3)));
        assertTrue(maskShape.getMessage().contains("completionMask"), maskShape.getMessage());
        IllegalArgumentException weights = assertThrows(IllegalArgumentException.class,
                () -> TokenLogProbs.backwardFromSequenceWeights(logits, Nd4j.zeros(DataType.INT, 2, 2), mask,
                        new double[] {1, 2, 3}));
        assertTrue(weights.getMessage().contains("sequenceWeights"), weights.getMessage());
        IllegalArgumentException maskValue = assertThrows(IllegalArgumentException.class,
                () -> TokenLogProbs.forward(logits, Nd4j.zeros(DataType.INT, 2, 2),
                        Nd4j.createFromArray(new double[][] {{1, 0.5}, {0, 1}})));
        assertTrue(maskValue.getMessage().contains("completionMask[0, 1]"), maskValue.getMessage());
    }

    private static double[] toDoubles(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector();
    }
}
