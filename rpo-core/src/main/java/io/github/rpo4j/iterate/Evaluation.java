package io.github.rpo4j.iterate;

import org.apache.commons.math3.stat.interval.ConfidenceInterval;
import org.apache.commons.math3.stat.interval.WilsonScoreInterval;

/**
 * Accuracy of one model on a question set.
 *
 * @param questions        how many questions were asked
 * @param greedyCorrect    questions answered correctly by greedy decoding
 * @param majorityCorrect  questions whose majority answer over k samples was correct (0 when k = 0)
 * @param k                samples per question for the majority vote (0 = not measured)
 * @param greedyCorrectIds per question (in order), whether greedy decoding was correct
 */
public record Evaluation(int questions, int greedyCorrect, int majorityCorrect, int k, boolean[] greedyCorrectIds) {

    public double greedyAccuracy() {
        return questions == 0 ? 0 : (double) greedyCorrect / questions;
    }

    public double majorityAccuracy() {
        return questions == 0 || k == 0 ? 0 : (double) majorityCorrect / questions;
    }

    /** The 95% Wilson score interval of the greedy accuracy, [lower, upper]. */
    public double[] greedyCi95() {
        if (questions == 0) {
            return new double[] {0, 1};
        }
        ConfidenceInterval ci = new WilsonScoreInterval().createInterval(questions, greedyCorrect, 0.95);
        return new double[] {ci.getLowerBound(), ci.getUpperBound()};
    }
}
