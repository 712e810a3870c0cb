package io.github.rpo4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.losses.ReinforceLoss;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class ReinforceTrainerTest {

    private final CharTokenizer tokenizer = CharTokenizer.ofAlphabet("abcdefgh12 ");

    private TransformerLM model() {
        return TransformerLM.initialize(ModelConfig.gpt2(tokenizer.vocabSize(), 32, 1, 16, 2).withEosTokenId(0), 3,
                DataType.FLOAT);
    }

    private double logp(TransformerLM m, String prompt, String completion) {
        return PolicyLogProbs.evaluate(m, List.of(Encoded.sequence(tokenizer, prompt, completion)), 1)[0];
    }

    @Test
    void theRewardedSecondAttemptGainsProbabilityAndTheUnrewardedLoses() {
        TransformerLM m = model();
        List<ReinforceTrainer.Rollout> rollouts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            boolean good = i % 2 == 0;
            rollouts.add(new ReinforceTrainer.Rollout(List.of(
                    new ReinforceTrainer.Attempt("ab ", "c", 0),
                    new ReinforceTrainer.Attempt("ab c ", good ? "1" : "2", good ? 1 : 0))));
        }
        double before1 = logp(m, "ab c ", "1");
        double before2 = logp(m, "ab c ", "2");
        List<ReinforceTrainer.Rollout> withRef = ReinforceTrainer.withReference(m, tokenizer, rollouts, 8);
        ReinforceLoss.KlMode mode = ReinforceLoss.KlMode.REWARD_PENALTY;
        new ReinforceTrainer(m, tokenizer, TrainingSettings.defaults(1e-2).withEpochs(10).withBatch(4, 4)
                .withProgressBar(false), List.of(new ReinforceLoss(0.1, true, 0, mode), new ReinforceLoss(0.01, true, 0, mode)))
                .train(withRef, "test");
        assertTrue(logp(m, "ab c ", "1") > before1, "rewarded completion");
        assertTrue(logp(m, "ab c ", "2") < before2, "unrewarded completion");
    }

    @Test
    void attemptsWithoutReferenceAndABonusOnTheFirstAttemptAreRejected() {
        TransformerLM m = model();
        TrainingSettings ts = TrainingSettings.defaults(1e-2).withProgressBar(false);
        ReinforceTrainer trainer = new ReinforceTrainer(m, tokenizer, ts, List.of(ReinforceLoss.withKl(0.1)));
        var noRef = List.of(new ReinforceTrainer.Rollout(List.of(new ReinforceTrainer.Attempt("a", "b", 1))));
        assertThrows(IllegalArgumentException.class, () -> trainer.train(noRef, "test"));
        assertThrows(IllegalArgumentException.class, () -> new ReinforceTrainer(m, tokenizer, ts,
                List.of(new ReinforceLoss(0, true, 10, ReinforceLoss.KlMode.LOSS_TERM))));
    }

    private static ReinforceTrainer.Rollout grouped(String question, String completion, double reward) {
        return new ReinforceTrainer.Rollout(List.of(new ReinforceTrainer.Attempt(question + " ", completion, reward)),
                question);
    }

    @Test
    void aQuestionsRolloutsShareAMicroBatchAndTheirLeaveOneOutBaseline() {
        TransformerLM m = model();
        // Question a: rewards (1, 0) → baselines (0, 1); question b: rewards (1, 1) → baselines (1, 1).
        // Batch 4 = both questions, micro-batch 2 = one question: the step's baseline metric is the
        // share-weighted mean 0.5·(0 + 1)/2 + 0.5·(1 + 1)/2 = 0.75, whichever question comes first.
        // Mixing questions in a micro-batch would give another value (e.g. a's 1 with b's 1: 0.5·1 + ...).
        List<ReinforceTrainer.Rollout> rollouts = List.of(grouped("a", "c", 1), grouped("b", "d", 1),
                grouped("a", "e", 0), grouped("b", "f", 1));
        ReinforceLoss loss = new ReinforceLoss(0, ReinforceLoss.Baseline.LEAVE_ONE_OUT, 0, ReinforceLoss.KlMode.LOSS_TERM);
        TrainingReport report = new ReinforceTrainer(m, tokenizer, TrainingSettings.defaults(1e-3).withBatch(4, 2)
                .withProgressBar(false), List.of(loss))
                .train(ReinforceTrainer.withReference(m, tokenizer, rollouts, 4), "groups");
        assertEquals(1, report.steps());
        assertEquals(0.75, report.last().get("attempt1/rewards/baseline"), 1e-12);
        assertEquals(0.75, report.last().get("attempt1/rewards/mean"), 1e-12);
    }

    @Test
    void aQuestionWithASingleRolloutAndHalfGroupedRolloutsAreRefused() {
        TransformerLM m = model();
        ReinforceTrainer trainer = new ReinforceTrainer(m, tokenizer, TrainingSettings.defaults(1e-3)
                .withProgressBar(false), List.of(ReinforceLoss.withKl(0)));
        var alone = ReinforceTrainer.withReference(m, tokenizer, List.of(grouped("a", "c", 1), grouped("a", "d", 0),
                grouped("b", "e", 1)), 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.train(alone, "t"));
        assertTrue(e.getMessage().contains("\"b\"") && e.getMessage().contains("single rollout"), e.getMessage());
        var mixed = ReinforceTrainer.withReference(m, tokenizer, List.of(grouped("a", "c", 1), grouped("a", "d", 0),
                new ReinforceTrainer.Rollout(List.of(new ReinforceTrainer.Attempt("b ", "e", 1)))), 4);
        IllegalArgumentException m2 = assertThrows(IllegalArgumentException.class, () -> trainer.train(mixed, "t"));
        assertTrue(m2.getMessage().contains("2 of 3 rollouts have a group"), m2.getMessage());
    }
}
