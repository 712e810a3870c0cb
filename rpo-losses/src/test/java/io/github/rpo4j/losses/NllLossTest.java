package io.github.rpo4j.losses;

import static io.github.rpo4j.losses.GradientCheck.assertClose;
import static io.github.rpo4j.losses.GradientCheck.centralDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class NllLossTest {

    private static final double[] LOGPS = {-2, -4};
    private static final int[] LENGTHS = {2, 8};

    @Test
    void normalisationsByHand() {
        // PER_SEQUENCE_MEAN: (2/2 + 4/8)/2 = 0.75; gradient -1/(B|y_i|) = -1/4, -1/16
        ObjectiveResult perSequence = NllLoss.nll(LOGPS, LENGTHS, NllNormalization.PER_SEQUENCE_MEAN);
        assertEquals(0.75, perSequence.value(), 1e-15);
        assertClose(new double[] {-0.25, -0.0625}, perSequence.gradient(), 0, 1e-15, "per sequence");
        assertTrue(perSequence.rejectedGradient().length == 0 && !perSequence.isPairwise());
        // BATCH_TOKEN_MEAN: (2 + 4)/(2 + 8) = 0.6; gradient -1/10 each
        ObjectiveResult batchToken = NllLoss.nll(Nd4j.createFromArray(-2.0, -4.0), LENGTHS,
                NllNormalization.BATCH_TOKEN_MEAN);
        assertEquals(0.6, batchToken.value(), 1e-15);
        assertClose(new double[] {-0.1, -0.1}, batchToken.gradient(), 0, 1e-15, "batch token");
    }

    @Test
    void rewardWeightedByHand() {
        // w = (3, 1): PER_SEQUENCE_MEAN (3·1 + 1·0.5)/4 = 0.875; gradient -w_i/(|y_i| Σw) = -3/8, -1/32
        ObjectiveResult r = NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {3, 1},
                NllNormalization.PER_SEQUENCE_MEAN);
        assertEquals(0.875, r.value(), 1e-15);
        assertClose(new double[] {-0.375, -0.03125}, r.gradient(), 0, 1e-15, "weighted");
        assertEquals(0.75, r.metric("nll"), 1e-15);
        // BATCH_TOKEN_MEAN: (3·2 + 1·4)/(3·2 + 1·8) = 10/14; gradient -w_i/14
        ObjectiveResult t = NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {3, 1},
                NllNormalization.BATCH_TOKEN_MEAN);
        assertEquals(10.0 / 14, t.value(), 1e-15);
        assertClose(new double[] {-3.0 / 14, -1.0 / 14}, t.gradient(), 0, 1e-15, "weighted tokens");
    }

    @Test
    void equalWeightsReduceToPlainNllAndScaleDoesNotMatter() {
        for (NllNormalization norm : NllNormalization.values()) {
            double plain = NllLoss.nll(LOGPS, LENGTHS, norm).value();
            assertEquals(plain, NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {5, 5}, norm).value(), 1e-15);
            assertEquals(NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {1, 3}, norm).value(),
                    NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {1e-3, 3e-3}, norm).value(), 1e-14);
        }
    }

    @Test
    void exponentialWeightsAreShiftedAndStable() {
        // exp((r - max r)/τ) with τ = 0.5: r = (1, 0, 1000) → (e^-1998, e^-2000, 1)
        double[] w = NllLoss.exponentialWeights(new double[] {1, 0, 1000}, 0.5);
        assertEquals(1.0, w[2], 0);
        assertTrue(w[0] >= 0 && w[0] < 1e-300);
        double[] v = NllLoss.exponentialWeights(new double[] {1, 0}, 0.5);
        assertEquals(Math.exp(-2), v[1], 1e-16);
    }

    @Test
    void finiteDifferences() {
        double[] logps = {-12.5, -30, -8.25, -55, -3};
        int[] lengths = {5, 12, 3, 20, 1};
        double[] weights = {2, 0.5, 1, 0, 3};
        for (NllNormalization norm : NllNormalization.values()) {
            for (double[] w : new double[][] {null, weights}) {
                ObjectiveResult r = NllLoss.rewardWeightedNll(logps, lengths, w, norm);
                double[] fd = centralDifference(x -> NllLoss.rewardWeightedNll(x, lengths, w, norm).value(), logps, 1e-5);
                assertClose(fd, r.gradient(), 1e-6, 1e-10, norm + (w == null ? "" : " weighted"));
            }
        }
    }

    @Test
    void badInputsAreNamed() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> NllLoss.nll(LOGPS, new int[] {2, 0}, NllNormalization.PER_SEQUENCE_MEAN));
        assertTrue(zero.getMessage().contains("lengths[1]"), zero.getMessage());
        IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
                () -> NllLoss.nll(LOGPS, new int[] {2}, NllNormalization.PER_SEQUENCE_MEAN));
        assertTrue(len.getMessage().contains("lengths"), len.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {1, -1}, NllNormalization.PER_SEQUENCE_MEAN));
        assertTrue(negative.getMessage().contains("weights[1]"), negative.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {0, 0}, NllNormalization.PER_SEQUENCE_MEAN));
    }
}
