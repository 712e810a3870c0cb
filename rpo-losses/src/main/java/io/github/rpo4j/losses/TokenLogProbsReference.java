package io.github.rpo4j.losses;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Reference token log-probs built from plain ND4J ops (log-softmax, one-hot gather) and its
 * backward by composing the same ops. Same layout and results as {@link TokenLogProbs}; it
 * materialises several (N, V) temporaries and exists to check the fused kernel and to
 * benchmark against it.
 */
public final class TokenLogProbsReference {

    private TokenLogProbsReference() {
    }

    /**
     * @param logits (B·T, V) or (B, T, V), float32 or float64
     * @param targets (B, T) token ids
     * @param completionMask (B, T) of 0/1
     * @return token log-probs (B, T), sequence sums (B), completion lengths (B)
     */
    public static TokenLogProbsResult forward(INDArray logits, INDArray targets, INDArray completionMask) {
        long b = targets.size(0);
        long t = targets.size(1);
        INDArray x = flatLogits(logits, b * t); // (N, V)
        INDArray mask = completionMask.castTo(x.dataType()).reshape(b * t); // (N)
        INDArray oneHot = countedOneHot(targets, mask, x.size(1), x.dataType()); // (N, V)
        INDArray logSoftmax = logSoftmax(x); // (N, V)
        INDArray tokenLogProbs = logSoftmax.mul(oneHot).sum(1); // (N), 0 where masked
        INDArray sequences = tokenLogProbs.reshape(b, t).castTo(DataType.DOUBLE).sum(1); // (B)
        int[] lengths = mask.reshape(b, t).castTo(DataType.DOUBLE).sum(1).toIntVector(); // (B)
        return new TokenLogProbsResult(tokenLogProbs.reshape(b, t), sequences.toDoubleVector(), lengths);
    }

    /**
     * @param logits (B·T, V) or (B, T, V)
     * @param targets (B, T)
     * @param completionMask (B, T)
     * @param sequenceWeights (B) {@code dL / d seqLogProb}
     * @return dL/dlogits, shaped like {@code logits}
     */
    public static INDArray backwardFromSequenceWeights(INDArray logits, INDArray targets, INDArray completionMask,
                                                       double[] sequenceWeights) {
        long b = targets.size(0);
        long t = targets.size(1);
        // d seqLogProb_b / d tokenLogProb_n = 1 for every position n of sequence b.
        INDArray tokenWeights = Nd4j.createFromArray(sequenceWeights).reshape(b, 1)
                .repeat(1, t); // (B, T)
        return backwardFromTokenWeights(logits, targets, completionMask, tokenWeights);
    }

    /**
     * @param logits (B·T, V) or (B, T, V)
     * @param targets (B, T)
     * @param completionMask (B, T)
     * @param tokenWeights (B, T) or (B·T) {@code dL / d tokenLogProb}
     * @return dL/dlogits, shaped like {@code logits}
     */
    public static INDArray backwardFromTokenWeights(INDArray logits, INDArray targets, INDArray completionMask,
                                                    INDArray tokenWeights) {
        long b = targets.size(0);
        long t = targets.size(1);
        INDArray x = flatLogits(logits, b * t); // (N, V)
        INDArray mask = completionMask.castTo(x.dataType()).reshape(b * t); // (N)
        INDArray oneHot = countedOneHot(targets, mask, x.size(1), x.dataType()); // (N, V)
        INDArray softmax = Transforms.exp(logSoftmax(x), false); // (N, V)
        // tokenLogProb_n = Σ_v onehot_nv · logSoftmax_nv, and d logSoftmax_nv / d x_nk = δ_vk - softmax_nk,
        // so d tokenLogProb_n / d x_nk = onehot_nk - mask_n · softmax_nk.
        INDArray rowWeights = tokenWeights.castTo(x.dataType()).reshape(b * t, 1).mul(mask.reshape(b * t, 1)); // (N, 1)
        INDArray grad = oneHot.sub(softmax.mulColumnVector(mask.reshape(b * t, 1))).muliColumnVector(rowWeights);
        return grad.reshape(logits.shape());
    }

    private static INDArray flatLogits(INDArray logits, long rows) {
        return logits.dup('c').reshape(rows, logits.size(logits.rank() - 1));
    }

    private static INDArray logSoftmax(INDArray x) {
        INDArray max = x.max(1).reshape(x.size(0), 1); // (N, 1)
        INDArray shifted = x.subColumnVector(max); // (N, V)
        INDArray logSumExp = Transforms.log(Transforms.exp(shifted, true).sum(1), false).reshape(x.size(0), 1);
        return shifted.subiColumnVector(logSumExp);
    }

    /** (N, V) one-hot of the targets at counted positions, zero rows elsewhere. */
    private static INDArray countedOneHot(INDArray targets, INDArray mask, long vocab, DataType type) {
        long n = mask.length();
        double[] ids = targets.castTo(DataType.DOUBLE).dup('c').reshape(n).toDoubleVector();
        double[] counted = mask.castTo(DataType.DOUBLE).toDoubleVector();
        INDArray oneHot = Nd4j.zeros(type, n, vocab);
        for (int r = 0; r < n; r++) {
            if (counted[r] != 0) {
                oneHot.putScalar(r, (long) ids[r], 1.0);
            }
        }
        return oneHot;
    }
}
