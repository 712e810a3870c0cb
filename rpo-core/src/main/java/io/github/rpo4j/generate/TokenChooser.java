package io.github.rpo4j.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Picks the next token from one row of logits: greedy, temperature, top-k and top-p. */
final class TokenChooser {

    private TokenChooser() {
    }

    /**
     * @param logits  all rows' logits, row-major
     * @param offset  where this row starts
     * @param scratch a buffer of at least {@code vocab} doubles
     */
    static int choose(float[] logits, int offset, int vocab, SamplingSettings s, SplittableRandom random, double[] scratch) {
        if (s.temperature() == 0) {
            int best = 0;
            for (int i = 1; i < vocab; i++) {
                if (logits[offset + i] > logits[offset + best]) {
                    best = i;
                }
            }
            return best;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double threshold = Double.NEGATIVE_INFINITY;
        if (s.topK() > 0 && s.topK() < vocab) {
            double[] sorted = new double[vocab];
            for (int i = 0; i < vocab; i++) {
                sorted[i] = logits[offset + i];
            }
            Arrays.sort(sorted);
            threshold = sorted[vocab - s.topK()];
        }
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            double l = logits[offset + i];
            double w = l < threshold ? 0 : Math.exp((l - max) / s.temperature());
            scratch[i] = w;
            total += w;
        }
        if (s.topP() < 1) {
            Integer[] order = new Integer[vocab];
            for (int i = 0; i < vocab; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Double.compare(scratch[b], scratch[a]));
            double cumulative = 0;
            double kept = 0;
            boolean cut = false;
            for (int rank = 0; rank < vocab; rank++) {
                int i = order[rank];
                if (cut) {
                    scratch[i] = 0;
                } else {
                    cumulative += scratch[i] / total;
                    kept += scratch[i];
                    cut = cumulative >= s.topP();
                }
            }
            total = kept;
        }
        double u = random.nextDouble() * total;
        double acc = 0;
        int last = 0;
        for (int i = 0; i < vocab; i++) {
            if (scratch[i] > 0) {
                acc += scratch[i];
                last = i;
                if (u < acc) {
                    return i;
                }
            }
        }
        return last;
    }

    /** log softmax(logits)[token] at temperature 1. */
    static double logProb(float[] logits, int offset, int vocab, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        return logits[offset + token] - max - Math.log(sum);
    }
}
