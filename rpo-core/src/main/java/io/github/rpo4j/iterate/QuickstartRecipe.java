package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.train.TrainingSettings;
import java.nio.file.Path;
import java.util.List;

/**
 * The quickstart: RPO on the synthetic arithmetic task from a small character-level M0, sized to
 * finish in minutes on two CPU cores. The settings that differ from the paper's defaults are chosen
 * for this scale and named here with the reason.
 */
public final class QuickstartRecipe {

    /** Pool of training questions sampled each iteration (fresh problems, none of M0's gold chains). */
    public static final int POOL = 500;
    /** N: fewer than the paper's 30, to keep sampling within the budget. */
    public static final int SAMPLES_PER_QUESTION = 8;
    /** K: each question's distinct winners and losers are few at N = 8. */
    public static final int PAIRS_PER_QUESTION = 2;
    /**
     * Learning rate of each iteration's training. An iteration here is about 60 steps (1,000 pairs in
     * batches of 16), far fewer than a run on a large pool; 1e-5 moved the model by almost nothing.
     */
    public static final double LEARNING_RATE = 5e-5;
    /**
     * Each pool problem's gold chain joins its winners (the winner set of Pang et al.: correct samples plus the
     * gold chain where one exists). M0 answers fewer than one problem in ten, so without it most problems have
     * no winner and are skipped.
     */
    public static final boolean INCLUDE_GOLD_CHAIN = true;
    public static final int ITERATIONS = 3;
    /** Majority vote over 4 samples per test question. */
    public static final int MAJORITY_K = 4;

    private QuickstartRecipe() {
    }

    /** The pool: training-side problems after the ones M0 was fine-tuned on. */
    public static List<Question> pool(SyntheticArithmeticTask.Split split, int goldChainsUsed, int size) {
        return split.train().subList(goldChainsUsed, goldChainsUsed + size);
    }

    /** The loop with the quickstart's settings; the caller adds the starting model. */
    public static IterativeRpo.Builder builder(SyntheticArithmeticTask task, SyntheticArithmeticTask.Split split,
                                               int goldChainsUsed, Path runDirectory, long seed) {
        return IterativeRpo.builder()
                .trainQuestions(pool(split, goldChainsUsed, POOL))
                .evalQuestions(split.test())
                .verifier(task.verifier())
                .iterations(ITERATIONS)
                .samplesPerQuestion(SAMPLES_PER_QUESTION)
                .pairsPerQuestion(PAIRS_PER_QUESTION)
                .includeGoldChain(INCLUDE_GOLD_CHAIN)
                .temperatures(0.8)
                .beta(0.1)
                .alpha(1.0)
                .training(TrainingSettings.defaults(LEARNING_RATE).withBatch(16, 16))
                .maxNewTokens(task.maxCompletionLength() + 8)
                .majorityVote(MAJORITY_K, 0.8)
                .seed(seed)
                .runDirectory(runDirectory);
    }
}
