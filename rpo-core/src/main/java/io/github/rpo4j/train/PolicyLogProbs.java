package io.github.rpo4j.train;

import io.github.rpo4j.losses.TokenLogProbs;
import io.github.rpo4j.losses.TokenLogProbsResult;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sequence log-probabilities log p(completion | prompt) under a model, as one autograd node over the
 * fused token kernel of rpo-losses: an objective's gradient per sequence flows through
 * {@link TokenLogProbs#backwardFromSequenceWeights} into the logits and on into the transformer.
 */
public final class PolicyLogProbs {

    private PolicyLogProbs() {
    }

    /** (B) summed completion log-probs, differentiable with respect to the model's parameters. */
    public static Tensor of(TransformerLM model, SequenceBatch batch) {
        Tensor logits = model.forward(batch.inputs(), batch.batch(), batch.time()); // (B*T, V)
        TokenLogProbsResult r = TokenLogProbs.forward(logits.value(), batch.targets(), batch.completionMask());
        double[] sums = r.sequenceLogProbs();
        for (int i = 0; i < sums.length; i++) {
            if (!Double.isFinite(sums[i])) {
                throw new NonFiniteLossException("non-finite log-probability " + sums[i] + " for sequence " + i
                        + " of the batch (are the parameters finite?)");
            }
        }
        return Tensor.fromOp(Nd4j.createFromArray(sums), g -> logits.accumulate(
                TokenLogProbs.backwardFromSequenceWeights(logits.value(), batch.targets(), batch.completionMask(),
                        g.castTo(DataType.DOUBLE).toDoubleVector())), logits);
    }

    /** Summed completion log-probs without recording anything, in chunks of {@code batchSize} sequences. */
    public static double[] evaluate(TransformerLM model, List<SequenceBatch.Sequence> sequences, int batchSize) {
        double[] out = new double[sequences.size()];
        try (Tape.Scope ignored = Tape.noGrad()) {
            for (int from = 0; from < sequences.size(); from += batchSize) {
                List<SequenceBatch.Sequence> chunk = new ArrayList<>(
                        sequences.subList(from, Math.min(sequences.size(), from + batchSize)));
                SequenceBatch batch = SequenceBatch.of(chunk, model.config().contextLength());
                Tensor logits = model.forward(batch.inputs(), batch.batch(), batch.time());
                double[] sums = TokenLogProbs.forward(logits.value(), batch.targets(), batch.completionMask())
                        .sequenceLogProbs();
                System.arraycopy(sums, 0, out, from, sums.length);
            }
        }
        return out;
    }
}
