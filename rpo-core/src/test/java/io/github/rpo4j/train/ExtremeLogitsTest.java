package io.github.rpo4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.rpo4j.data.PreferencePair;
import io.github.rpo4j.losses.NllNormalization;
import io.github.rpo4j.losses.PreferenceLoss;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.text.CharTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Logits of magnitude 1e4 and more, produced by a real model, keep log-probs, losses and gradients finite. */
class ExtremeLogitsTest {

    private final CharTokenizer tokenizer = CharTokenizer.ofAlphabet("0123456789+=. abcdefghijklmnopqrstuvwxyz");
    private final List<PreferencePair> pairs = List.of(
            new PreferencePair("a", "what is 2+3", " 5. the answer is 5.", " 7. the answer is 7."),
            new PreferencePair("b", "what is 9+1", " the answer is 10.", " 91"));

    private static double maxAbsLogit(TransformerLM model, List<SequenceBatch.Sequence> sequences) {
        SequenceBatch batch = SequenceBatch.of(sequences, model.config().contextLength());
        try (Tape.Scope ignored = Tape.noGrad()) {
            return model.forward(batch.inputs(), batch.batch(), batch.time()).value().amaxNumber().doubleValue();
        }
    }

    @Test
    void aModelWithLogitsBeyondTenThousandTrainsWithFiniteLossesAndGradients() {
        TransformerLM model = TransformerLM.initialize(
                ModelConfig.gpt2(tokenizer.vocabSize(), 64, 1, 16, 2).withEosTokenId(0), 3, DataType.FLOAT);
        List<SequenceBatch.Sequence> sequences = pairs.stream()
                .flatMap(p -> java.util.stream.Stream.of(Encoded.sequence(tokenizer, p.prompt(), p.chosen()),
                        Encoded.sequence(tokenizer, p.prompt(), p.rejected())))
                .toList();
        // Logits are linear in the final norm's scale and shift: scale both until the largest is 3e4.
        double factor = 3e4 / maxAbsLogit(model, sequences);
        for (String name : List.of("ln_f.weight", "ln_f.bias")) {
            INDArray p = model.parameters().get(name).value();
            p.muli(factor);
        }
        assertTrue(maxAbsLogit(model, sequences) >= 1e4);

        double[] logps = PolicyLogProbs.evaluate(model, sequences, 4);
        assertTrue(Arrays.stream(logps).allMatch(v -> Double.isFinite(v) && v <= 0), Arrays.toString(logps));
        assertTrue(Arrays.stream(logps).anyMatch(v -> v < -1e3), "the logits are not extreme: " + Arrays.toString(logps));

        TrainingReport report = new PreferenceTrainer(model, tokenizer,
                TrainingSettings.defaults(1e-3).withBatch(2, 1).withProgressBar(false),
                PreferenceLoss.rpo(0.1, 1.0, NllNormalization.PER_SEQUENCE_MEAN)).train(pairs, "extreme logits");
        for (Map<String, Double> step : report.history()) {
            assertTrue(step.values().stream().allMatch(Double::isFinite), step.toString());
        }
        assertTrue(model.parameters().values().stream()
                .allMatch(t -> Arrays.stream(t.value().ravel().toDoubleVector()).allMatch(Double::isFinite)));
    }
}
