package io.github.rpo4j.train;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * B (prompt, completion) token sequences laid out for teacher forcing, right-padded to a common
 * length. The model reads {@code inputs} (B, T) and predicts {@code targets} (B, T), the input shifted by
 * one; {@code completionMask} (B, T) is 1 exactly where the target is a completion token, so the prompt
 * is never scored.
 *
 * @param inputs         (B*T) ids, row-major
 * @param targets        (B, T) next-token ids (0 where masked)
 * @param completionMask (B, T) 1 for completion targets
 * @param lengths        (B) completion tokens of each sequence
 */
public record SequenceBatch(int[] inputs, INDArray targets, INDArray completionMask, int batch, int time,
                            int[] lengths) {

    /** One sequence: prompt ids then completion ids (the completion includes the end token, if any). */
    public record Sequence(int[] prompt, int[] completion) {
        public Sequence {
            if (prompt.length == 0) {
                throw new IllegalArgumentException("a training sequence needs at least one prompt token");
            }
            if (completion.length == 0) {
                throw new IllegalArgumentException("a training sequence needs at least one completion token");
            }
        }

        public int length() {
            return prompt.length + completion.length;
        }

        /** A hash of the token ids, the same in every process (for in-stage checkpoint fingerprints). */
        public long contentHash() {
            return 31L * java.util.Arrays.hashCode(prompt) + java.util.Arrays.hashCode(completion);
        }
    }

    /** Lays out the sequences; the longest must fit the model's context ({@code maxLength}). */
    public static SequenceBatch of(List<Sequence> sequences, int maxLength) {
        int batch = sequences.size();
        int time = 0;
        for (int i = 0; i < batch; i++) {
            Sequence s = sequences.get(i);
            if (s.length() > maxLength + 1) {
                throw new IllegalArgumentException("sequence " + i + " has " + s.length()
                        + " tokens, more than the context length " + maxLength + " allows");
            }
            time = Math.max(time, s.length() - 1);
        }
        int[] inputs = new int[batch * time];
        double[] targets = new double[batch * time];
        double[] mask = new double[batch * time];
        int[] lengths = new int[batch];
        for (int b = 0; b < batch; b++) {
            Sequence s = sequences.get(b);
            int[] all = new int[s.length()];
            System.arraycopy(s.prompt(), 0, all, 0, s.prompt().length);
            System.arraycopy(s.completion(), 0, all, s.prompt().length, s.completion().length);
            for (int t = 0; t < time; t++) {
                int row = b * time + t;
                inputs[row] = t < all.length - 1 ? all[t] : all[all.length - 1]; // padding repeats the last id
                if (t + 1 < all.length && t + 1 >= s.prompt().length) {
                    targets[row] = all[t + 1];
                    mask[row] = 1;
                }
            }
            lengths[b] = s.completion().length;
        }
        return new SequenceBatch(inputs, Nd4j.create(targets, new long[] {batch, time}, 'c'),
                Nd4j.create(mask, new long[] {batch, time}, 'c'), batch, time, lengths);
    }
}
