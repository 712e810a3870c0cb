package io.github.rpo4j.losses;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Output of the token log-prob forward pass for B sequences of T positions.
 *
 * @param tokenLogProbs (B, T) {@code log softmax(logits)[target]} at counted positions, 0 at
 *                      positions the completion mask excludes; same data type as the logits.
 *                      A fresh array owned by the caller.
 * @param sequenceLogProbs (B) sum of the counted token log-probs of each sequence, accumulated in
 *                         double precision
 * @param completionLengths (B) number of counted positions of each sequence
 */
public record TokenLogProbsResult(INDArray tokenLogProbs, double[] sequenceLogProbs, int[] completionLengths) {

    /** Copies the arrays so the record cannot be changed through them. */
    public TokenLogProbsResult {
        Checks.requireNonNull(tokenLogProbs, "tokenLogProbs");
        Checks.requireNonNull(sequenceLogProbs, "sequenceLogProbs");
        Checks.requireNonNull(completionLengths, "completionLengths");
        sequenceLogProbs = sequenceLogProbs.clone();
        completionLengths = completionLengths.clone();
    }

    @Override
    public double[] sequenceLogProbs() {
        return sequenceLogProbs.clone();
    }

    @Override
    public int[] completionLengths() {
        return completionLengths.clone();
    }

    /** @return (B) the sequence log-probs as a double-precision INDArray */
    public INDArray sequenceLogProbsArray() {
        return Nd4j.createFromArray(sequenceLogProbs.clone());
    }
}
