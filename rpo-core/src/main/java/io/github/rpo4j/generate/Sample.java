package io.github.rpo4j.generate;

/**
 * One generated continuation.
 *
 * @param promptIndex which prompt of the call it continues
 * @param tokenIds    the generated ids, including the end token when one was generated
 * @param text        the decoded continuation without the end token, cut before a stop string
 * @param logProbs    natural-log probability under the model (temperature 1, no truncation) of each generated id
 * @param finish      why generation stopped
 */
public record Sample(int promptIndex, int[] tokenIds, String text, double[] logProbs, Finish finish) {

    /** Why a sample ended. */
    public enum Finish { END_TOKEN, STOP_STRING, MAX_TOKENS }

    /** Sum of the generated tokens' log-probabilities. */
    public double totalLogProb() {
        double s = 0;
        for (double v : logProbs) {
            s += v;
        }
        return s;
    }
}
