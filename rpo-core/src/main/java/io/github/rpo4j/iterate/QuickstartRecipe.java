package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.train.TrainingSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The quickstart: RPO on the synthetic arithmetic task from a small character-level M0, sized to
 * finish in minutes on two CPU cores. The settings that differ from the paper's defaults are chosen
 * for this scale and named here with the reason.
 */
public final class QuickstartRecipe {

    /**
     * Pool of training questions sampled each iteration: fresh problems, none of M0's gold chains, none of the
     * validation or test problems, of which the loop uses only the answers. New problems are what the model's own
     * correct samples can teach it: M0 is at the plateau of its own gold chains, and 97% of its correct samples
     * are exactly the (unseen) gold chain.
     */
    public static final int POOL = 1000;
    /** N: far fewer than the paper's 30, so that three iterations on two cores take minutes. */
    public static final int SAMPLES_PER_QUESTION = 4;
    /**
     * K: with N = 4 a problem has a few distinct winners and losers, so K = 4 pairs each winner (almost always the
     * one sound chain) with each distinct loser, repeating them. From the shipped M0 292 of the 1,000 problems have
     * both, which gives 1,168 pairs (73 optimiser steps) in the first iteration.
     */
    public static final int PAIRS_PER_QUESTION = 4;
    /**
     * Peak learning rate of each iteration (fresh AdamW state): RPO's choice in the documented sweep (1e-5 of 3e-6,
     * 1e-5, 3e-5, 1e-4, 3e-4 and 1e-3, the best greedy accuracy on the validation problems after one iteration).
     * Rates from 1e-4 up lowered validation accuracy for every method (docs/results.md, "Learning rates").
     */
    public static final double LEARNING_RATE = 1e-5;
    /**
     * Linear warm-up steps of each iteration. Each iteration starts a fresh AdamW state, whose first steps
     * move every weight by about the full learning rate whatever its gradient's size; the warm-up keeps those
     * steps small.
     */
    public static final int WARMUP_STEPS = 10;
    /**
     * Each iteration's learning rate falls along a cosine to this fraction of its peak, so the model that is
     * sampled and evaluated next comes from small final steps.
     */
    public static final double MIN_LR_RATIO = 0.1;
    /**
     * Weight of the NLL term on the winner (the paper's alpha). With beta 0.1 and weight 1, the DPO term's gradient
     * per token (beta * sigmoid(-margin), about 0.05) is three times the per-sequence NLL's (weight / ~60 tokens);
     * weight 10 puts the NLL term ahead, as DPO alone lowers the winners' likelihood (docs/results.md compares 1).
     */
    public static final double NLL_WEIGHT = 10;
    /**
     * Each loser is scored only through the step ("." ends one) in which it first departs from its winner,
     * so the DPO term pushes down the first mistake and not the sound arithmetic that follows it.
     */
    public static final String REJECTED_STEP_END = ".";
    /**
     * Off: the winners are the model's own correct samples only, the setting in which the loop is
     * self-improvement. With the gold chains added the loop is a different method that learns from extra
     * supervision (docs/results.md reports both, apart).
     */
    public static final boolean INCLUDE_GOLD_CHAIN = false;
    public static final int ITERATIONS = 3;
    /** Majority vote over 4 samples per test question. */
    public static final int MAJORITY_K = 4;

    /**
     * Peak learning rate per method of the ablation, by its name there (RPO, DPO, SFT_CHOSEN, SFT_CORRECT, REST_EM,
     * RISE, SCORE): each method's choice in the documented sweep (docs/results.md, "Learning rates"), made by the
     * rule stated there before it ran. ReST-EM's first iteration is SFT on correct samples from M0 and takes its
     * rate. RISE and SCoRe were not swept; they keep the rate the other methods share.
     */
    private static final Map<String, Double> SWEPT_LEARNING_RATES = Map.of(
            "RPO", 1e-5,
            "DPO", 1e-5,
            "SFT_CHOSEN", 1e-5,
            "SFT_CORRECT", 3e-5,
            "REST_EM", 3e-5,
            "RISE", 1e-5,
            "SCORE", 1e-5);

    private QuickstartRecipe() {
    }

    /** The swept peak learning rate of an ablation method, by its name there. */
    public static double learningRate(String method) {
        Double rate = SWEPT_LEARNING_RATES.get(method);
        if (rate == null) {
            throw new IllegalArgumentException("no learning rate for method " + method + "; known: "
                    + SWEPT_LEARNING_RATES.keySet());
        }
        return rate;
    }

    /** Each iteration's training: batches of 16 pairs, one epoch, warm-up then cosine decay from the peak rate. */
    public static TrainingSettings training() {
        return TrainingSettings.defaults(LEARNING_RATE).withBatch(16, 16).withSchedule(WARMUP_STEPS, MIN_LR_RATIO);
    }

    /**
     * The pool: training-side problems after the ones M0 was fine-tuned on, and before the validation problems
     * ({@link StartingModel#QUICKSTART_POOL_FROM}).
     */
    public static List<Question> pool(SyntheticArithmeticTask.Split split, int size) {
        return pool(split, StartingModel.QUICKSTART_POOL_FROM, size);
    }

    /**
     * A pool of {@code size} training-side problems from index {@code from}, before the validation problems. The
     * caller keeps it apart from M0's gold chains (the first {@link StartingModel.Settings#goldChains()}).
     */
    public static List<Question> pool(SyntheticArithmeticTask.Split split, int from, int size) {
        int end = StartingModel.QUICKSTART_VALIDATION_FROM;
        if (from < 0 || from >= end) {
            throw new IllegalArgumentException("pool start must be in [0, " + (end - 1) + "], got " + from);
        }
        if (size < 1 || size > end - from) {
            throw new IllegalArgumentException("pool size must be in [1, " + (end - from) + "] for a pool from "
                    + from + ", got " + size);
        }
        return split.train().subList(from, from + size);
    }

    /** The loop with the quickstart's settings, the pool and the evaluation set given; the caller adds M0. */
    public static IterativeRpo.Builder loop(SyntheticArithmeticTask task, List<Question> pool,
                                            List<Question> evaluated, Path runDirectory, long seed) {
        return IterativeRpo.builder()
                .trainQuestions(pool)
                .evalQuestions(evaluated)
                .verifier(task.verifier())
                .stepChecker(task.stepChecker())
                .iterations(ITERATIONS)
                .samplesPerQuestion(SAMPLES_PER_QUESTION)
                .pairsPerQuestion(PAIRS_PER_QUESTION)
                .includeGoldChain(INCLUDE_GOLD_CHAIN)
                .temperatures(0.8)
                .beta(0.1)
                .nllWeight(NLL_WEIGHT)
                .cutRejectedAfterStep(REJECTED_STEP_END)
                .training(training())
                .maxNewTokens(task.maxCompletionLength() + 8)
                .majorityVote(MAJORITY_K, 0.8)
                .seed(seed)
                .runDirectory(runDirectory);
    }

    /** The loop with the quickstart's settings on its pool and its 500 test problems; the caller adds M0. */
    public static IterativeRpo.Builder builder(SyntheticArithmeticTask task, SyntheticArithmeticTask.Split split,
                                               Path runDirectory, long seed) {
        return loop(task, pool(split, POOL), split.test(), runDirectory, seed);
    }
}
