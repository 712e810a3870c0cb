package io.github.rpo4j.losses;

import static io.github.rpo4j.losses.GradientCheck.assertClose;
import static io.github.rpo4j.losses.GradientCheck.centralDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class PreferenceLossTest {

    /** One pair: πc=-10, πr=-12, ρc=-11, ρr=-11, |c|=5, |r|=4. h = (-10+11) - (-12+11) = 1 - (-1) = 2. */
    private static final PreferenceBatch ONE_PAIR = new PreferenceBatch(
            new double[] {-10}, new double[] {-12}, new double[] {-11}, new double[] {-11},
            new int[] {5}, new int[] {4});

    @Test
    void sigmoidDpoByHand() {
        // β=0.1: z = βh = 0.2; loss = -log σ(0.2) = log(1 + e^-0.2) = log(1.8187307531) = 0.5981388693815918
        // dL/dπc = -β σ(-z) = -0.1 · 0.4501660027 = -0.04501660026875222; dL/dπr = +0.04501660026875222
        ObjectiveResult r = PreferenceLoss.dpo(0.1).compute(ONE_PAIR);
        assertEquals(0.5981388693815918, r.value(), 1e-14);
        assertEquals(-0.04501660026875222, r.chosenGradient()[0], 1e-14);
        assertEquals(0.04501660026875222, r.rejectedGradient()[0], 1e-14);
        // rewards: chosen β(πc-ρc) = 0.1·1 = 0.1, rejected 0.1·(-1) = -0.1, margin 0.2, accuracy 1
        assertEquals(0.1, r.metric("rewards/chosen"), 1e-15);
        assertEquals(-0.1, r.metric("rewards/rejected"), 1e-15);
        assertEquals(0.2, r.metric("rewards/margins"), 1e-15);
        assertEquals(1.0, r.metric("rewards/accuracies"), 0);
        assertEquals(-10, r.metric("logps/chosen"), 0);
        assertEquals(-12, r.metric("logps/rejected"), 0);
        // nll = -πc/|c| = 10/5 = 2 (reported even with α = 0)
        assertEquals(2.0, r.metric("nll"), 1e-15);
        assertEquals(r.value(), r.metric("loss"), 0);
    }

    @Test
    void labelSmoothingByHand() {
        // ε=0.25, z=0.2: 0.75·softplus(-0.2) + 0.25·softplus(0.2)
        //   = 0.75·0.5981388694 + 0.25·0.7981388694 = 0.6481388693815918
        // dL/dπc = β(-(1-ε)σ(-z) + εσ(z)) = 0.1(-0.75·0.4501660 + 0.25·0.5498340) = -0.020016600268752217
        ObjectiveResult r = PreferenceLoss.conservativeDpo(0.1, 0.25).compute(ONE_PAIR);
        assertEquals(0.6481388693815918, r.value(), 1e-14);
        assertEquals(-0.020016600268752217, r.chosenGradient()[0], 1e-14);
        assertEquals(0.020016600268752217, r.rejectedGradient()[0], 1e-14);
    }

    @Test
    void ipoByHand() {
        // Per-token averages: πc=-10/5=-2, πr=-12/4=-3, ρc=-11/5=-2.2, ρr=-11/4=-2.75
        // h = (-2+2.2) - (-3+2.75) = 0.2 + 0.25 = 0.45; β=0.5 → 1/(2β) = 1; loss = (0.45-1)² = 0.3025
        // dL/dπc = 2(-0.55)/5 = -0.22; dL/dπr = -2(-0.55)/4 = 0.275
        ObjectiveResult r = PreferenceLoss.ipo(0.5).compute(ONE_PAIR);
        assertEquals(0.3025, r.value(), 1e-14);
        assertEquals(-0.22, r.chosenGradient()[0], 1e-14);
        assertEquals(0.275, r.rejectedGradient()[0], 1e-14);
        // rewards on averages: 0.5·0.2 = 0.1 and 0.5·(-0.25) = -0.125
        assertEquals(0.1, r.metric("rewards/chosen"), 1e-14);
        assertEquals(-0.125, r.metric("rewards/rejected"), 1e-14);
        assertEquals(-2.0, r.metric("logps/chosen"), 1e-15);
    }

    @Test
    void hingeByHand() {
        // β=0.1, h=2: max(0, 1 - 0.2) = 0.8; dL/dπc = -β = -0.1, dL/dπr = 0.1
        ObjectiveResult r = PreferenceLoss.hinge(0.1).compute(ONE_PAIR);
        assertEquals(0.8, r.value(), 1e-15);
        assertEquals(-0.1, r.chosenGradient()[0], 1e-15);
        assertEquals(0.1, r.rejectedGradient()[0], 1e-15);
        // β=1: 1 - 2 < 0, so loss 0 and gradient 0
        ObjectiveResult satisfied = PreferenceLoss.hinge(1.0).compute(ONE_PAIR);
        assertEquals(0.0, satisfied.value(), 0);
        assertEquals(0.0, satisfied.chosenGradient()[0], 0);
    }

    @Test
    void simpoByHand() {
        // Averages -10/5 = -2 and -12/4 = -3; β=2, γ=1: z = 2·(-2 - (-3)) - 1 = 1
        // loss = softplus(-1) = log(1 + e^-1) = 0.31326168751822286
        // dL/dπc = -β σ(-1) / 5 = -2·0.2689414214/5 = -0.10757656854799805; dL/dπr = +2·0.2689414214/4
        PreferenceBatch noRef = PreferenceBatch.withoutReference(new double[] {-10}, new double[] {-12},
                new int[] {5}, new int[] {4});
        ObjectiveResult r = PreferenceLoss.simpo(2.0, 1.0).compute(noRef);
        assertEquals(0.31326168751822286, r.value(), 1e-14);
        assertEquals(-0.10757656854799805, r.chosenGradient()[0], 1e-14);
        assertEquals(0.13447071068499755, r.rejectedGradient()[0], 1e-14);
        // SimPO rewards are β·average logp: 2·(-2) = -4 and 2·(-3) = -6
        assertEquals(-4.0, r.metric("rewards/chosen"), 1e-14);
        assertEquals(-6.0, r.metric("rewards/rejected"), 1e-14);
    }

    @Test
    void rpoNormalisationsWeighShortAndLongWinnersDifferently() {
        // Two pairs with h = 0 (so the DPO part is log 2 with gradient ∓β/2/B = ∓0.025 each).
        // Chosen: logp -2 over 2 tokens, logp -4 over 8 tokens.
        //   PER_SEQUENCE_MEAN: nll = (2/2 + 4/8)/2 = 0.75; dnll/dπc = -1/(2·2) = -0.25, -1/(2·8) = -0.0625
        //   BATCH_TOKEN_MEAN:  nll = (2 + 4)/(2 + 8) = 0.6;  dnll/dπc = -1/10 = -0.1 for both
        PreferenceBatch batch = new PreferenceBatch(new double[] {-2, -4}, new double[] {-3, -5},
                new double[] {-2, -4}, new double[] {-3, -5}, new int[] {2, 8}, new int[] {3, 5});
        double log2 = Math.log(2);
        ObjectiveResult paper = PreferenceLoss.rpo().compute(batch);
        assertEquals(log2 + 0.75, paper.value(), 1e-14);
        assertEquals(0.75, paper.metric("nll"), 1e-15);
        assertClose(new double[] {-0.025 - 0.25, -0.025 - 0.0625}, paper.chosenGradient(), 0, 1e-15, "paper");
        assertClose(new double[] {0.025, 0.025}, paper.rejectedGradient(), 0, 1e-15, "paper rejected");

        ObjectiveResult trl = PreferenceLoss.rpo(0.1, 1.0, NllNormalization.BATCH_TOKEN_MEAN).compute(batch);
        assertEquals(log2 + 0.6, trl.value(), 1e-14);
        assertClose(new double[] {-0.025 - 0.1, -0.025 - 0.1}, trl.chosenGradient(), 0, 1e-15, "trl");
    }

    @Test
    void equalLogProbsGiveLogTwo() {
        // h = 0 → -log σ(0) = log 2 for every β; dL/dπc = -β·σ(0)/B = -β/(2B)
        double[] same = {-7, -7, -7};
        int[] lens = {3, 4, 5};
        PreferenceBatch batch = new PreferenceBatch(same, same, same, same, lens, lens);
        for (double beta : new double[] {0.1, 1.0, 10.0}) {
            ObjectiveResult r = PreferenceLoss.dpo(beta).compute(batch);
            assertEquals(Math.log(2), r.value(), 1e-15, "beta=" + beta);
            assertClose(new double[] {-beta / 6, -beta / 6, -beta / 6}, r.chosenGradient(), 1e-14, 0, "grad");
            assertEquals(0.0, r.metric("rewards/accuracies"), 0);
        }
    }

    @Test
    void hugeMarginsStayFinite() {
        // β=1, h = ±1000: loss ≈ 0 (gradient ≈ 0) or loss = 1000 (gradient -1 on πc, +1 on πr).
        PreferenceBatch won = new PreferenceBatch(new double[] {0}, new double[] {-1000}, new double[] {0},
                new double[] {0}, new int[] {1}, new int[] {1});
        PreferenceBatch lost = new PreferenceBatch(new double[] {-1000}, new double[] {0}, new double[] {0},
                new double[] {0}, new int[] {1}, new int[] {1});
        for (PreferenceLoss loss : List.of(PreferenceLoss.dpo(1.0), PreferenceLoss.conservativeDpo(1.0, 0.1),
                PreferenceLoss.ipo(1.0), PreferenceLoss.hinge(1.0), PreferenceLoss.simpo(1.0, 0.5), PreferenceLoss.rpo())) {
            for (PreferenceBatch batch : List.of(won, lost)) {
                ObjectiveResult r = loss.compute(batch);
                assertTrue(Double.isFinite(r.value()), loss + " value");
                assertTrue(Double.isFinite(r.chosenGradient()[0]) && Double.isFinite(r.rejectedGradient()[0]),
                        loss + " gradient");
                r.metrics().forEach((k, v) -> assertTrue(Double.isFinite(v), loss + " metric " + k));
            }
        }
        assertEquals(0.0, PreferenceLoss.dpo(1.0).compute(won).value(), 1e-300);
        ObjectiveResult lostDpo = PreferenceLoss.dpo(1.0).compute(lost);
        assertEquals(1000.0, lostDpo.value(), 1e-12);
        assertEquals(-1.0, lostDpo.chosenGradient()[0], 0);
        assertEquals(1.0, lostDpo.rejectedGradient()[0], 0);
    }

    @Test
    void finiteDifferencesMatchEveryType() {
        Random rng = new Random(7);
        int b = 5;
        double[] pc = new double[b];
        double[] pr = new double[b];
        double[] rc = new double[b];
        double[] rr = new double[b];
        int[] lc = new int[b];
        int[] lr = new int[b];
        for (int i = 0; i < b; i++) {
            lc[i] = 1 + rng.nextInt(20);
            lr[i] = 1 + rng.nextInt(20);
            pc[i] = -lc[i] * (0.5 + rng.nextDouble());
            pr[i] = -lr[i] * (0.5 + rng.nextDouble());
            rc[i] = pc[i] + rng.nextGaussian();
            rr[i] = pr[i] + rng.nextGaussian();
        }
        List<PreferenceLoss> losses = List.of(
                PreferenceLoss.dpo(0.1), PreferenceLoss.dpo(2.0), PreferenceLoss.conservativeDpo(0.5, 0.3),
                PreferenceLoss.ipo(0.1), PreferenceLoss.ipo(1.0), PreferenceLoss.hinge(0.3),
                PreferenceLoss.simpo(2.0, 0.5), PreferenceLoss.simpo(2.5, 1.0).withNll(0.5, NllNormalization.BATCH_TOKEN_MEAN),
                new PreferenceLoss(PreferenceLossType.SIMPO, 2.0, 0.2, 1.0, 0, NllNormalization.PER_SEQUENCE_MEAN),
                PreferenceLoss.rpo(), PreferenceLoss.rpo(0.5, 2.0, NllNormalization.BATCH_TOKEN_MEAN),
                PreferenceLoss.ipo(0.2).withNll(1.0, NllNormalization.PER_SEQUENCE_MEAN));
        for (PreferenceLoss loss : losses) {
            ObjectiveResult r = loss.compute(new PreferenceBatch(pc, pr, rc, rr, lc, lr));
            double[] fdChosen = centralDifference(
                    x -> loss.compute(new PreferenceBatch(x, pr, rc, rr, lc, lr)).value(), pc, 1e-5);
            double[] fdRejected = centralDifference(
                    x -> loss.compute(new PreferenceBatch(pc, x, rc, rr, lc, lr)).value(), pr, 1e-5);
            assertClose(fdChosen, r.chosenGradient(), 1e-6, 1e-9, loss + " chosen");
            assertClose(fdRejected, r.rejectedGradient(), 1e-6, 1e-9, loss + " rejected");
        }
    }

    @Test
    void zeroLengthCompletionIsRejectedWithItsIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PreferenceBatch(
                new double[] {-1, -2}, new double[] {-1, -2}, new double[] {-1, -2}, new double[] {-1, -2},
                new int[] {3, 4}, new int[] {2, 0}));
        assertTrue(e.getMessage().contains("rejectedLengths[1]"), e.getMessage());
    }

    @Test
    void mismatchedLengthsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PreferenceBatch(
                new double[] {-1, -2}, new double[] {-1}, new double[] {-1, -2}, new double[] {-1, -2},
                new int[] {3, 4}, new int[] {2, 1}));
        assertTrue(e.getMessage().contains("policyRejectedLogps"), e.getMessage());
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class, () -> new PreferenceBatch(
                new double[] {-1, Double.NaN}, new double[] {-1, -2}, null, null, new int[] {3, 4}, new int[] {2, 1}));
        assertTrue(nan.getMessage().contains("policyChosenLogps[1]"), nan.getMessage());
    }

    @Test
    void referenceIsRequiredExceptForSimpo() {
        PreferenceBatch noRef = PreferenceBatch.withoutReference(new double[] {-1}, new double[] {-2},
                new int[] {1}, new int[] {1});
        assertThrows(IllegalArgumentException.class, () -> PreferenceLoss.dpo().compute(noRef));
        assertFalse(Double.isNaN(PreferenceLoss.simpo(2, 1).compute(noRef).value()));
    }

    @Test
    void invalidHyperParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> PreferenceLoss.dpo(0));
        assertThrows(IllegalArgumentException.class, () -> PreferenceLoss.conservativeDpo(0.1, 0.5));
        assertThrows(IllegalArgumentException.class,
                () -> new PreferenceLoss(PreferenceLossType.IPO, 0.1, 0.1, 0, 0, NllNormalization.PER_SEQUENCE_MEAN));
        assertThrows(IllegalArgumentException.class, () -> PreferenceLoss.rpo(0.1, -1, NllNormalization.BATCH_TOKEN_MEAN));
    }

    @Test
    void indArrayInputsGiveTheSameResult() {
        PreferenceBatch fromArrays = PreferenceBatch.of(Nd4j.createFromArray(-10f), Nd4j.createFromArray(-12f),
                Nd4j.createFromArray(-11.0), Nd4j.createFromArray(-11.0), new int[] {5}, new int[] {4});
        assertEquals(PreferenceLoss.rpo().compute(ONE_PAIR).value(), PreferenceLoss.rpo().compute(fromArrays).value(), 0);
    }
}
