package io.github.rpo4j.iterate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.optim.AdamW;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StartingModelTest {

    @Test
    void cyclesRunOneAfterAnotherEachWithItsOwnScheduleAndShuffle() {
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        StartingModel.Settings s = new StartingModel.Settings(8, 4, 1, 16, 2, 224, 3, true, List.of(
                new StartingModel.Cycle(1, 1e-3, 0, 0), new StartingModel.Cycle(2, 1e-4, 0, 1)));
        List<double[]> steps = new ArrayList<>();
        StartingModel.train(task, task.generate(8, 5), s, (step, m) -> steps.add(new double[] {step, m.get("lr")}));
        // Cycle 1: 8 chains in batches of 4 is 2 steps, the first at the peak. Cycle 2 stops after 1 step,
        // at its own peak: a fresh schedule, not the tail of the first.
        assertEquals(3, steps.size());
        assertEquals(1, steps.get(0)[0]);
        assertEquals(1e-3, steps.get(0)[1], 1e-15);
        assertEquals(2, steps.get(1)[0]);
        assertEquals(1, steps.get(2)[0]);
        assertEquals(1e-4, steps.get(2)[1], 1e-15);
        assertEquals(3, s.training(0).seed());
        assertEquals(4, s.training(1).seed());
        assertEquals(1, s.firstCycles(1).cycles().size());
    }

    @Test
    void everyOtherTwoAttemptExampleIsTheGoldChainTwiceAroundTheInstruction() {
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        List<io.github.rpo4j.data.Question> qs = task.generate(3, 5);
        List<io.github.rpo4j.train.SftExample> single = StartingModel.goldExamples(qs, PromptFormat.DEFAULT, true);
        List<io.github.rpo4j.train.SftExample> two = StartingModel.twoAttemptGoldExamples(qs, PromptFormat.DEFAULT,
                true, " Again. ");
        assertEquals(single.get(0), two.get(0));
        assertEquals(single.get(2), two.get(2));
        assertEquals(single.get(1).prompt(), two.get(1).prompt());
        String q = PromptFormat.DEFAULT.prompt(qs.get(1));
        assertEquals(q.substring(1) + qs.get(1).goldChain() + " Again. " + qs.get(1).goldChain(), two.get(1).completion());
    }

    @Test
    void optimiserSettingsReachEveryCycleAndSurviveTheWithers() {
        StartingModel.Settings s = StartingModel.Settings.quickstart();
        // The shipped M0: betas 0.9 / 0.95, no weight decay; the earlier one kept the training defaults' 0.999.
        assertEquals(0.95, s.training(0).adamW().beta2(), 0);
        assertEquals(0, s.training(0).adamW().weightDecay(), 0);
        assertEquals(0.999, StartingModel.Settings.fourThousandGoldChains().training(1).adamW().beta2(), 0);
        assertEquals(4000, StartingModel.Settings.fourThousandGoldChains().goldChains());
        // The loops' pool starts after M0's gold chains.
        assertEquals(s.goldChains(), StartingModel.QUICKSTART_POOL_FROM);
        AdamW.Settings nanoGpt = s.adamW().withBeta2(0.95).withWeightDecay(0.1);
        StartingModel.Settings changed = s.withAdamW(nanoGpt).withSeedAndCycles(9,
                List.of(new StartingModel.Cycle(16, 2e-3, 50, 0)));
        assertEquals(nanoGpt, changed.training(0).adamW());
        assertEquals(9, changed.training(0).seed());
        assertEquals(50, changed.training(0).warmupSteps());
        assertEquals(nanoGpt, changed.firstCycles(1).adamW());
        assertThrows(IllegalArgumentException.class, () -> nanoGpt.withBeta2(1.0));
    }

    @Test
    void badCyclesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new StartingModel.Cycle(0, 1e-3, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new StartingModel.Cycle(1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new StartingModel.Settings(8, 4, 1, 16, 2, 224, 3, true,
                List.of()));
    }
}
