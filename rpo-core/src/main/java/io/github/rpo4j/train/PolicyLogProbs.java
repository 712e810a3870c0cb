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
        return evaluate(model, sequences, batchSize, 1);
    }

    /**
     * As {@link #evaluate(TransformerLM, List, int)}, the chunks on {@code threads} worker threads started for this call
     * (the same values on any count).
     */
    public static double[] evaluate(TransformerLM model, List<SequenceBatch.Sequence> sequences, int batchSize,
                                    int threads) {
        try (TrainingThreads workers = TrainingThreads.start(threads)) {
            return evaluate(model, sequences, batchSize, workers);
        }
    }

    /**
     * As {@link #evaluate(TransformerLM, List, int)}, the chunks on {@code threads}. A chunk's values depend on the
     * chunk alone, so any thread count gives the same values.
     */
    public static double[] evaluate(TransformerLM model, List<SequenceBatch.Sequence> sequences, int batchSize,
                                    TrainingThreads threads) {
        int chunks = (sequences.size() + batchSize - 1) / batchSize;
        List<double[]> sums = threads.map(chunks, c -> {
            List<SequenceBatch.Sequence> chunk = new ArrayList<>(
                    sequences.subList(c * batchSize, Math.min(sequences.size(), (c + 1) * batchSize)));
            try (Tape.Scope ignored = Tape.noGrad()) {
                SequenceBatch batch = SequenceBatch.of(chunk, model.config().contextLength());
                Tensor logits = model.forward(batch.inputs(), batch.batch(), batch.time());
                return TokenLogProbs.forward(logits.value(), batch.targets(), batch.completionMask())
                        .sequenceLogProbs();
            }
        });
        double[] out = new double[sequences.size()];
        for (int c = 0; c < chunks; c++) {
            System.arraycopy(sums.get(c), 0, out, c * batchSize, sums.get(c).length);
        }
        return out;
    }
}
