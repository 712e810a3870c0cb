package io.github.rpo4j.losses;

import static io.github.rpo4j.losses.GradientCheck.assertClose;
import static io.github.rpo4j.losses.GradientCheck.centralDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class ReinforceLossTest {

    private static final double[] LOGPS = {-2, -4};
    private static final double[] REF = {-3, -3};
    private static final double[] REWARDS = {1, 0};
    private static final int[] LENGTHS = {2, 4};

    @Test
    void klInLossByHand() {
        // baseline b = 0.5, advantages (0.5, -0.5); pg = -(0.5·-2 + -0.5·-4)/2 = -(−1 + 2)/2 = -0.5
        // KL estimates (1, -1), mean 0; loss = -0.5 + 0.5·0 = -0.5
        // dL/dlogπ = (-adv + β_KL)/B = ((-0.5 + 0.5)/2, (0.5 + 0.5)/2) = (0, 0.5)
        ObjectiveResult r = new ReinforceLoss(0.5, ReinforceLoss.Baseline.BATCH_MEAN, 0, ReinforceLoss.KlMode.LOSS_TERM)
                .compute(LOGPS, REF, REWARDS, LENGTHS);
        assertEquals(-0.5, r.value(), 1e-15);
        assertClose(new double[] {0, 0.5}, r.gradient(), 0, 1e-15, "grad");
        assertEquals(0.0, r.metric("kl"), 0);
        assertEquals(0.5, r.metric("rewards/baseline"), 0);
        assertEquals(3.0, r.metric("completion_length/mean"), 0);
    }

    @Test
    void progressBonusByHand() {
        // r1 = (0, 1), α = 2: r̂ = r2 + 2(r2 - r1) = (1 + 2, 0 - 2) = (3, -2); b = 0.5; adv = (2.5, -2.5)
        // pg = -(2.5·-2 + -2.5·-4)/2 = -(−5 + 10)/2 = -2.5; KL mean 0; loss = -2.5
        // dL/dlogπ = ((-2.5 + 0.5)/2, (2.5 + 0.5)/2) = (-1, 1.5)
        ReinforceLoss loss = new ReinforceLoss(0.5, ReinforceLoss.Baseline.BATCH_MEAN, 2.0, ReinforceLoss.KlMode.LOSS_TERM);
        ObjectiveResult r = loss.compute(LOGPS, REF, REWARDS, new double[] {0, 1}, LENGTHS);
        assertEquals(-2.5, r.value(), 1e-15);
        assertClose(new double[] {-1, 1.5}, r.gradient(), 0, 1e-15, "grad");
        assertEquals(0.5, r.metric("rewards/mean"), 1e-15);
        assertEquals(0.5, r.metric("rewards/first_attempt"), 1e-15);
    }

    @Test
    void klAsRewardPenaltyByHand() {
        // r̃ = r - 0.5·(1, -1) = (0.5, 0.5); b = 0.5; advantages 0 → loss 0, gradient 0
        ReinforceLoss loss = new ReinforceLoss(0.5, ReinforceLoss.Baseline.BATCH_MEAN, 0,
                ReinforceLoss.KlMode.REWARD_PENALTY);
        ObjectiveResult r = loss.compute(LOGPS, REF, REWARDS, LENGTHS);
        assertEquals(0.0, r.value(), 0);
        assertClose(new double[] {0, 0}, r.gradient(), 0, 0, "grad");
    }

    @Test
    void noBaselineByHand() {
        // b = 0: pg = -(1·-2 + 0·-4)/2 = 1; KL term 0.1·0 → loss 1; grad = ((-1 + 0.1)/2, 0.1/2)
        ReinforceLoss loss = new ReinforceLoss(0.1, false, 0, ReinforceLoss.KlMode.LOSS_TERM);
        ObjectiveResult r = loss.compute(LOGPS, REF, REWARDS, LENGTHS);
        assertEquals(1.0, r.value(), 1e-15);
        assertClose(new double[] {-0.45, 0.05}, r.gradient(), 0, 1e-15, "grad");
    }

    @Test
    void leaveOneOutBaselineByHand() {
        // Two questions: samples 0, 1, 2 of question 7 with rewards (1, 0, 1), samples 3, 4 of question 9
        // with rewards (0, 1). Leave-one-out baselines: b0 = (0 + 1)/2 = 0.5, b1 = (1 + 1)/2 = 1,
        // b2 = (1 + 0)/2 = 0.5, b3 = 1, b4 = 0 → advantages (0.5, -1, 0.5, -1, 1).
        // No KL (β = 0): grad = -adv/B = (-0.1, 0.2, -0.1, 0.2, -0.2)
        // pg = -(1/5) Σ adv_i logπ_i with logπ = (-1, -2, -3, -4, -5):
        //    = -(1/5)(-0.5 + 2 - 1.5 + 4 - 5) = -(1/5)(-1) = 0.2
        double[] logps = {-1, -2, -3, -4, -5};
        double[] rewards = {1, 0, 1, 0, 1};
        int[] lengths = {1, 1, 1, 1, 1};
        int[] groups = {7, 7, 7, 9, 9};
        ReinforceLoss loss = new ReinforceLoss(0, ReinforceLoss.Baseline.LEAVE_ONE_OUT, 0, ReinforceLoss.KlMode.LOSS_TERM);
        ObjectiveResult r = loss.compute(logps, logps, rewards, null, lengths, groups);
        assertEquals(0.2, r.value(), 1e-15);
        assertClose(new double[] {-0.1, 0.2, -0.1, 0.2, -0.2}, r.gradient(), 0, 1e-15, "grad");
        assertEquals((0.5 + 1 + 0.5 + 1 + 0) / 5, r.metric("rewards/baseline"), 1e-15);
        // Without groups the batch is one group: b_i = (3 - r_i)/4 → (0.5, 0.75, 0.5, 0.75, 0.5)
        ObjectiveResult whole = loss.compute(logps, logps, rewards, null, lengths, null);
        assertClose(new double[] {-0.1, 0.15, -0.1, 0.15, -0.1}, whole.gradient(), 0, 1e-15, "one group");
        // With the KL in the reward, the baseline is over the penalised rewards r̃ = r - β(logπ - logρ)
        double[] ref = {-1.5, -2, -3, -4, -5}; // k0 = 0.5, the rest 0; β = 0.4 → r̃ = (0.8, 0, 1, 0, 1)
        ReinforceLoss penalty = new ReinforceLoss(0.4, ReinforceLoss.Baseline.LEAVE_ONE_OUT, 0,
                ReinforceLoss.KlMode.REWARD_PENALTY);
        // b = ((0 + 1)/2, (0.8 + 1)/2, (0.8 + 0)/2, 1, 0) → adv = (0.3, -0.9, 0.6, -1, 1); grad = -adv/5
        ObjectiveResult p = penalty.compute(logps, ref, rewards, null, lengths, groups);
        assertClose(new double[] {-0.06, 0.18, -0.12, 0.2, -0.2}, p.gradient(), 0, 1e-15, "penalty");
    }

    @Test
    void leaveOneOutIsTheSelfBaselineRescaled() {
        // r_i - mean = (n-1)/n (r_i - mean_{j≠i}): with n = 4, the batch-mean gradient is 3/4 of leave-one-out's.
        double[] logps = {-1, -2, -3, -4};
        double[] rewards = {1, 0, 0.25, 1};
        int[] lengths = {1, 2, 3, 4};
        double[] loo = new ReinforceLoss(0, ReinforceLoss.Baseline.LEAVE_ONE_OUT, 0, ReinforceLoss.KlMode.LOSS_TERM)
                .compute(logps, logps, rewards, lengths).gradient();
        double[] self = new ReinforceLoss(0, ReinforceLoss.Baseline.BATCH_MEAN, 0, ReinforceLoss.KlMode.LOSS_TERM)
                .compute(logps, logps, rewards, lengths).gradient();
        for (int i = 0; i < loo.length; i++) {
            assertEquals(0.75 * loo[i], self[i], 1e-15, "sample " + i);
        }
    }

    @Test
    void aSampleAloneInItsGroupGetsNoBaseline() {
        // A batch of one: the self-baseline makes the gradient exactly 0; leave-one-out has no other sample,
        // so the sample keeps its reward as advantage: grad = -r/B = -1.
        double[] one = {-2};
        ReinforceLoss loo = new ReinforceLoss(0, ReinforceLoss.Baseline.LEAVE_ONE_OUT, 0, ReinforceLoss.KlMode.LOSS_TERM);
        assertClose(new double[] {-1}, loo.compute(one, one, new double[] {1}, new int[] {1}).gradient(), 0, 0, "alone");
        ReinforceLoss self = new ReinforceLoss(0, ReinforceLoss.Baseline.BATCH_MEAN, 0, ReinforceLoss.KlMode.LOSS_TERM);
        assertClose(new double[] {0}, self.compute(one, one, new double[] {1}, new int[] {1}).gradient(), 0, 0, "self");
        // In a grouped batch, the lone sample of group 2 gets baseline 0 while the others compare with each other:
        // b = (0, 1, 0) for rewards (1, 0, 0.5) in groups (1, 1, 2) → adv (1, -1, 0.5); grad = -adv/3
        ObjectiveResult r = loo.compute(new double[] {-1, -1, -1}, new double[] {-1, -1, -1}, new double[] {1, 0, 0.5},
                null, new int[] {1, 1, 1}, new int[] {1, 1, 2});
        assertClose(new double[] {-1.0 / 3, 1.0 / 3, -0.5 / 3}, r.gradient(), 0, 1e-15, "grouped");
    }

    @Test
    void finiteDifferences() {
        // The baseline and (in REWARD_PENALTY mode) the penalised reward are constants, so the
        // finite difference is taken with them frozen at the evaluation point.
        double[] logps = {-12.5, -30, -8.25, -55, -3};
        double[] ref = {-13, -29, -8, -57.5, -2.5};
        double[] rewards = {1, 0, 1, 0, 0.5};
        double[] first = {0, 0, 1, 1, 0.5};
        int[] lengths = {5, 12, 3, 20, 1};
        for (ReinforceLoss loss : new ReinforceLoss[] {
                ReinforceLoss.withKl(0.05),
                new ReinforceLoss(0.2, false, 0, ReinforceLoss.KlMode.LOSS_TERM),
                new ReinforceLoss(0.1, true, 10, ReinforceLoss.KlMode.LOSS_TERM)}) {
            ObjectiveResult r = loss.compute(logps, ref, rewards, first, lengths);
            double[] fd = centralDifference(x -> loss.compute(x, ref, rewards, first, lengths).value(), logps, 1e-5);
            assertClose(fd, r.gradient(), 1e-6, 1e-10, loss.toString());
        }
        // REWARD_PENALTY: the surrogate with frozen r̃ and b is -(1/B) Σ (r̃_i - b) x_i.
        ReinforceLoss penalty = new ReinforceLoss(0.2, ReinforceLoss.Baseline.BATCH_MEAN, 0,
                ReinforceLoss.KlMode.REWARD_PENALTY);
        ObjectiveResult r = penalty.compute(logps, ref, rewards, lengths);
        double[] shaped = new double[logps.length];
        double mean = 0;
        for (int i = 0; i < logps.length; i++) {
            shaped[i] = rewards[i] - 0.2 * (logps[i] - ref[i]);
            mean += shaped[i] / logps.length;
        }
        final double baseline = mean;
        double[] fd = centralDifference(x -> {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s -= (shaped[i] - baseline) * x[i] / x.length;
            }
            return s;
        }, logps, 1e-5);
        assertClose(fd, r.gradient(), 1e-6, 1e-10, "reward penalty");
    }

    @Test
    void indArrayInputsGiveTheSameResult() {
        ReinforceLoss loss = new ReinforceLoss(0.5, ReinforceLoss.Baseline.BATCH_MEAN, 2.0,
                ReinforceLoss.KlMode.LOSS_TERM);
        ObjectiveResult fromArrays = loss.compute(Nd4j.createFromArray(LOGPS), Nd4j.createFromArray(REF),
                Nd4j.createFromArray(REWARDS), Nd4j.createFromArray(0.0, 1.0), LENGTHS);
        assertEquals(-2.5, fromArrays.value(), 1e-15);
    }

    @Test
    void badInputsAreNamed() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> ReinforceLoss.withKl(0.1).compute(LOGPS, REF, REWARDS, new int[] {0, 2}));
        assertTrue(zero.getMessage().contains("lengths[0]"), zero.getMessage());
        IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
                () -> ReinforceLoss.withKl(0.1).compute(LOGPS, REF, new double[] {1}, LENGTHS));
        assertTrue(len.getMessage().contains("rewards"), len.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ReinforceLoss.withKl(-1));
        IllegalArgumentException groups = assertThrows(IllegalArgumentException.class,
                () -> ReinforceLoss.withKl(0.1).compute(LOGPS, REF, REWARDS, null, LENGTHS, new int[] {1}));
        assertTrue(groups.getMessage().contains("groups"), groups.getMessage());
    }
}
