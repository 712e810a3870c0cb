package io.github.rpo4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.PreferencePair;
import io.github.rpo4j.losses.NllNormalization;
import io.github.rpo4j.losses.NllWeighting;
import io.github.rpo4j.losses.PreferenceLoss;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.GradCheck;
import io.github.rpo4j.tensor.Tensor;
import io.github.rpo4j.text.CharTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class TrainersTest {

    private final CharTokenizer tokenizer = CharTokenizer.ofAlphabet("0123456789+=. abcdefghijklmnopqrstuvwxyz?");

    private TransformerLM tiny(DataType type) {
        ModelConfig c = ModelConfig.gpt2(tokenizer.vocabSize(), 48, 2, 32, 4).withEosTokenId(tokenizer.eosId().getAsInt());
        return TransformerLM.initialize(c, 1, type);
    }

    @Test
    void sequenceBatchMasksThePromptAndPadding() {
        SequenceBatch b = SequenceBatch.of(List.of(
                new SequenceBatch.Sequence(new int[] {1, 2}, new int[] {3, 4, 5}),
                new SequenceBatch.Sequence(new int[] {6}, new int[] {7})), 16);
        assertEquals(4, b.time());
        // row 0 predicts 2 (prompt, masked), 3, 4, 5; row 1 predicts 7 then padding
        assertEquals(Nd4j.create(new double[][] {{0, 1, 1, 1}, {1, 0, 0, 0}}), b.completionMask());
        assertEquals(Nd4j.create(new double[][] {{0, 3, 4, 5}, {7, 0, 0, 0}}), b.targets());
        assertEquals(List.of(3, 1), List.of(b.lengths()[0], b.lengths()[1]));
        assertThrows(IllegalArgumentException.class, () -> SequenceBatch.of(List.of(
                new SequenceBatch.Sequence(new int[] {1, 2, 3}, new int[] {4, 5})), 3));
    }

    @Test
    void policyLogProbsGradientMatchesFiniteDifferences() {
        TransformerLM m = tiny(DataType.DOUBLE);
        SequenceBatch b = SequenceBatch.of(List.of(
                new SequenceBatch.Sequence(new int[] {1, 2}, new int[] {3, 4, 5}),
                new SequenceBatch.Sequence(new int[] {6}, new int[] {7, 8})), 48);
        List<Tensor> params = new ArrayList<>(m.parameters().values());
        GradCheck.Result r = GradCheck.check(ps -> PolicyLogProbs.of(m, b), params, 4, 4);
        assertTrue(r.passes(1e-5), r.toString());
    }

    @Test
    void preferenceTrainingRaisesChosenOverRejected() {
        TransformerLM m = tiny(DataType.FLOAT);
        List<PreferencePair> pairs = List.of(
                new PreferencePair("a", "2+3=", "5.", "6."),
                new PreferencePair("b", "4+4=", "8.", "9."),
                new PreferencePair("c", "1+6=", "7.", "3."),
                new PreferencePair("d", "5+2=", "7.", "1."));
        PreferenceTrainer trainer = new PreferenceTrainer(m, tokenizer,
                TrainingSettings.defaults(3e-3).withEpochs(20).withBatch(4, 2).withProgressBar(false),
                PreferenceLoss.rpo());
        List<PreferenceTrainer.TokenizedPair> before = trainer.prepare(pairs);
        TrainingReport report = trainer.train(pairs, "rpo test");
        List<PreferenceTrainer.TokenizedPair> after = trainer.prepare(pairs);
        for (int i = 0; i < pairs.size(); i++) {
            double marginBefore = before.get(i).referenceChosen() - before.get(i).referenceRejected();
            double marginAfter = after.get(i).referenceChosen() - after.get(i).referenceRejected();
            assertTrue(marginAfter > marginBefore + 1.0, "pair " + i + ": margin " + marginBefore + " -> " + marginAfter);
        }
        assertEquals(20, report.steps());
        assertEquals(1.0, report.last().get("rewards/accuracies"), 1e-9);
        assertTrue(report.history().get(0).containsKey("rewards/margins"));
    }

    @Test
    void aRejectedCompletionCanBeCutAfterItsFirstWrongStep() {
        TransformerLM m = tiny(DataType.FLOAT);
        PreferenceTrainer cutting = new PreferenceTrainer(m, tokenizer,
                TrainingSettings.defaults(1e-3).withProgressBar(false), PreferenceLoss.rpo(), ".");
        List<PreferencePair> pairs = List.of(
                // departs at "6" in the first step: scored through that step's ".", no end token
                new PreferencePair("a", "12+3=", "12+3=15. 15+1=16.", "12+3=16. 16+1=17."),
                // departs in the second step
                new PreferencePair("b", "12+3=", "12+3=15. 15+1=16.", "12+3=15. 15+1=17. ok."),
                // no step end after the departure: scored whole, end token included
                new PreferencePair("c", "12+3=", "12+3=15.", "12+3=16"));
        List<PreferenceTrainer.TokenizedPair> prepared = cutting.prepare(pairs);
        int eos = tokenizer.eosId().getAsInt();
        assertEquals("12+3=16.", tokenizer.decode(prepared.get(0).rejected().completion()));
        assertEquals("12+3=15. 15+1=17.", tokenizer.decode(prepared.get(1).rejected().completion()));
        int[] whole = prepared.get(2).rejected().completion();
        assertEquals(eos, whole[whole.length - 1]);
        assertEquals("12+3=16", tokenizer.decode(whole, 0, whole.length - 1));
        // chosen completions are never cut, and the reference log-probs are those of the cut sequences
        int[] chosen = prepared.get(0).chosen().completion();
        assertEquals(eos, chosen[chosen.length - 1]);
        double[] reference = PolicyLogProbs.evaluate(m, List.of(prepared.get(0).rejected()), 1);
        assertEquals(reference[0], prepared.get(0).referenceRejected(), 1e-5);
        // without the option the loser is whole
        PreferenceTrainer whole2 = new PreferenceTrainer(m, tokenizer,
                TrainingSettings.defaults(1e-3).withProgressBar(false), PreferenceLoss.rpo());
        int[] full = whole2.prepare(pairs.subList(0, 1)).get(0).rejected().completion();
        assertEquals("12+3=16. 16+1=17.", tokenizer.decode(full, 0, full.length - 1));
        assertThrows(IllegalArgumentException.class, () -> new PreferenceTrainer(m, tokenizer,
                TrainingSettings.defaults(1e-3), PreferenceLoss.rpo(), ""));
    }

    @Test
    void sftLowersTheCompletionNll() {
        TransformerLM m = tiny(DataType.FLOAT);
        Random r = new Random(3);
        List<SftExample> examples = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int a = r.nextInt(5);
            int b = r.nextInt(5);
            examples.add(new SftExample(a + "+" + b + "=", (a + b) + "."));
        }
        double before = SftTrainer.evaluateNll(m, tokenizer, examples, 8);
        new SftTrainer(m, tokenizer, TrainingSettings.defaults(1e-2).withEpochs(30).withBatch(8, 8).withProgressBar(false),
                NllNormalization.BATCH_TOKEN_MEAN).train(examples, "sft test");
        double after = SftTrainer.evaluateNll(m, tokenizer, examples, 8);
        assertTrue(after < before / 3, "completion NLL " + before + " -> " + after);
    }

    @Test
    void sftWeightsAreUnnormalisedByDefaultAndSelfNormalisedOnRequest() {
        // Weights 3 on every example: the unnormalised loss is 3 times the plain NLL, the self-normalised one equals it.
        List<SftExample> examples = List.of(new SftExample("1+1=", "2.", 3), new SftExample("2+2=", "4.", 3));
        TrainingSettings ts = TrainingSettings.defaults(1e-3).withBatch(2, 2).withMaxSteps(1).withProgressBar(false);
        double plain = SftTrainer.evaluateNll(tiny(DataType.DOUBLE), tokenizer, examples, 2);
        double unnormalised = new SftTrainer(tiny(DataType.DOUBLE), tokenizer, ts, NllNormalization.BATCH_TOKEN_MEAN)
                .train(examples, "weights").last().get("loss");
        double selfNormalised = new SftTrainer(tiny(DataType.DOUBLE), tokenizer, ts, NllNormalization.BATCH_TOKEN_MEAN,
                NllWeighting.SELF_NORMALISED).train(examples, "weights").last().get("loss");
        assertEquals(3 * plain, unnormalised, 1e-9);
        assertEquals(plain, selfNormalised, 1e-9);
    }

    @Test
    void aNonFiniteLossStopsTrainingWithTheStepNamed() {
        TransformerLM m = tiny(DataType.FLOAT);
        m.parameters().get("wte.weight").value().putScalar(0, 1, Float.NaN);
        SftTrainer t = new SftTrainer(m, tokenizer, TrainingSettings.defaults(1e-3).withProgressBar(false),
                NllNormalization.BATCH_TOKEN_MEAN);
        NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
                () -> t.train(List.of(new SftExample("1+1=", "2.")), "nan test"));
        assertTrue(e.getMessage().contains("step 1"), e.getMessage());
    }
}
