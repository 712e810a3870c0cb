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
    void unnormalisedRewardWeightingByHand() {
        // The default, RISE's form. w = (3, 1): PER_SEQUENCE_MEAN (3·(2/2) + 1·(4/8))/2 = 1.75;
        // gradient -w_i/(B|y_i|) = -3/4, -1/16
        ObjectiveResult r = NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {3, 1},
                NllNormalization.PER_SEQUENCE_MEAN);
        assertEquals(1.75, r.value(), 1e-15);
        assertClose(new double[] {-0.75, -0.0625}, r.gradient(), 0, 1e-15, "weighted");
        assertEquals(0.75, r.metric("nll"), 1e-15);
        // BATCH_TOKEN_MEAN: (3·2 + 1·4)/(2 + 8) = 1.0; gradient -w_i/10
        ObjectiveResult t = NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {3, 1},
                NllNormalization.BATCH_TOKEN_MEAN, NllWeighting.UNNORMALISED);
        assertEquals(1.0, t.value(), 1e-15);
        assertClose(new double[] {-0.3, -0.1}, t.gradient(), 0, 1e-15, "weighted tokens");
        // RISE's weights exp(r/τ) for rewards (1, 0), τ = 0.5: (e^2, 1); BATCH_TOKEN_MEAN (2e^2 + 4)/10
        ObjectiveResult rise = NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {Math.exp(2), 1},
                NllNormalization.BATCH_TOKEN_MEAN);
        assertEquals((2 * Math.exp(2) + 4) / 10, rise.value(), 1e-14);
        // A batch of zero weights is allowed here: nothing to learn, loss and gradient 0
        ObjectiveResult none = NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {0, 0},
                NllNormalization.PER_SEQUENCE_MEAN);
        assertEquals(0.0, none.value(), 0);
        assertClose(new double[] {0, 0}, none.gradient(), 0, 0, "zero weights");
    }

    @Test
    void unnormalisedWeightsScaleTheLossSelfNormalisedDoNot() {
        for (NllNormalization norm : NllNormalization.values()) {
            double small = NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {1, 3}, norm).value();
            double large = NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {10, 30}, norm).value();
            assertEquals(10 * small, large, 1e-13, norm.toString());
        }
    }

    @Test
    void selfNormalisedRewardWeightingByHand() {
        // w = (3, 1): PER_SEQUENCE_MEAN (3·1 + 1·0.5)/4 = 0.875; gradient -w_i/(|y_i| Σw) = -3/8, -1/32
        ObjectiveResult r = NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {3, 1},
                NllNormalization.PER_SEQUENCE_MEAN, NllWeighting.SELF_NORMALISED);
        assertEquals(0.875, r.value(), 1e-15);
        assertClose(new double[] {-0.375, -0.03125}, r.gradient(), 0, 1e-15, "weighted");
        assertEquals(0.75, r.metric("nll"), 1e-15);
        // BATCH_TOKEN_MEAN: (3·2 + 1·4)/(3·2 + 1·8) = 10/14; gradient -w_i/14
        ObjectiveResult t = NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {3, 1},
                NllNormalization.BATCH_TOKEN_MEAN, NllWeighting.SELF_NORMALISED);
        assertEquals(10.0 / 14, t.value(), 1e-15);
        assertClose(new double[] {-3.0 / 14, -1.0 / 14}, t.gradient(), 0, 1e-15, "weighted tokens");
    }

    @Test
    void equalWeightsReduceToPlainNllAndSelfNormalisedScaleDoesNotMatter() {
        for (NllNormalization norm : NllNormalization.values()) {
            double plain = NllLoss.nll(LOGPS, LENGTHS, norm).value();
            for (NllWeighting weighting : NllWeighting.values()) {
                assertEquals(plain, NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {1, 1}, norm, weighting)
                        .value(), 1e-15);
            }
            assertEquals(plain, NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {5, 5}, norm,
                    NllWeighting.SELF_NORMALISED).value(), 1e-15);
            assertEquals(NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {1, 3}, norm,
                            NllWeighting.SELF_NORMALISED).value(),
                    NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {1e-3, 3e-3}, norm,
                            NllWeighting.SELF_NORMALISED).value(), 1e-14);
        }
    }

    @Test
    void exponentialWeightsAreThePapersUnshiftedExpOfRewardOverTemperature() {
        // exp(r/τ) with τ = 0.4: r = 1 → e^2.5, r = 0 → 1, r = -0.5 → e^-1.25, written out to 17 digits
        double[] w = NllLoss.exponentialWeights(new double[] {1, 0, -0.5}, 0.4);
        assertEquals(12.182493960703473, w[0], 1e-14);
        assertEquals(1.0, w[1], 0);
        assertEquals(0.28650479686019010, w[2], 1e-15);
        // No shift by the largest reward: the same reward weighs the same whatever else is in the call.
        assertEquals(w[0], NllLoss.exponentialWeights(new double[] {1, 3}, 0.4)[0], 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NllLoss.exponentialWeights(new double[] {0, 1000}, 0.5));
        assertTrue(e.getMessage().contains("rewards[1]") && e.getMessage().contains("overflows"), e.getMessage());
    }

    @Test
    void finiteDifferences() {
        double[] logps = {-12.5, -30, -8.25, -55, -3};
        int[] lengths = {5, 12, 3, 20, 1};
        double[] weights = {2, 0.5, 1, 0, 3};
        for (NllNormalization norm : NllNormalization.values()) {
            for (NllWeighting weighting : NllWeighting.values()) {
                for (double[] w : new double[][] {null, weights}) {
                    ObjectiveResult r = NllLoss.rewardWeightedNll(logps, lengths, w, norm, weighting);
                    double[] fd = centralDifference(x -> NllLoss.rewardWeightedNll(x, lengths, w, norm, weighting)
                            .value(), logps, 1e-5);
                    assertClose(fd, r.gradient(), 1e-6, 1e-10, norm + " " + weighting + (w == null ? "" : " weighted"));
                }
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
        IllegalArgumentException zeroSum = assertThrows(IllegalArgumentException.class,
                () -> NllLoss.rewardWeightedNll(LOGPS, LENGTHS, new double[] {0, 0}, NllNormalization.PER_SEQUENCE_MEAN,
                        NllWeighting.SELF_NORMALISED));
        assertTrue(zeroSum.getMessage().contains("sum to 0"), zeroSum.getMessage());
    }
}
