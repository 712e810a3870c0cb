package io.github.rpo4j.examples;

import io.github.rpo4j.iterate.IterativeRpo;
import io.github.rpo4j.iterate.Method;
import io.github.rpo4j.iterate.OverlongPolicy;
import io.github.rpo4j.losses.NllNormalization;
import io.github.rpo4j.train.TrainingSettings;
import picocli.CommandLine.Option;

/** The loop's settings as flags, with the paper's defaults; shared by iterate and quickstart. */
final class IterateOptions {

    @Option(names = "--method", defaultValue = "PREFERENCE", description = "PREFERENCE (RPO; DPO with --nll-weight 0), "
            + "SFT_ON_CORRECT or REST_EM (default: ${DEFAULT-VALUE}).")
    Method method;

    @Option(names = "--iterations", defaultValue = "3", description = "Iterations (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = {"-n", "--samples"}, defaultValue = "30", description = "N, samples per question (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = {"-k", "--pairs"}, defaultValue = "10", description = "K, pairs per question (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--max-correct", defaultValue = "10", description = "ReST-EM's cap C of correct samples kept per "
            + "question (default: ${DEFAULT-VALUE}).")
    int maxCorrect;

    @Option(names = "--temperatures", split = ",", defaultValue = "0.8,0.8,1.3", description = "Sampling temperature "
            + "per iteration; the last repeats (default: ${DEFAULT-VALUE}).")
    double[] temperatures;

    @Option(names = "--beta", defaultValue = "0.1", description = "DPO beta (default: ${DEFAULT-VALUE}).")
    double beta;

    @Option(names = {"--nll-weight", "--alpha"}, defaultValue = "1.0", description = "NLL weight on the winner (the "
            + "paper's alpha; --alpha is a deprecated alias); 0 = DPO only (default: ${DEFAULT-VALUE}).")
    double nllWeight;

    @Option(names = "--accept-changed-settings", description = "Resume a run directory whose config.json holds "
            + "other settings (refused otherwise, naming each difference).")
    boolean acceptChangedSettings;

    @Option(names = "--nll-normalization", defaultValue = "PER_SEQUENCE_MEAN", description = "PER_SEQUENCE_MEAN (paper) "
            + "or BATCH_TOKEN_MEAN (TRL rpo_alpha) (default: ${DEFAULT-VALUE}).")
    NllNormalization nllNormalization;

    @Option(names = "--cut-rejected-after", paramLabel = "STR", description = "Score each loser only through the end "
            + "of the step (up to the first token containing STR, e.g. '.') in which it first departs from its winner "
            + "(default: the whole loser).")
    String cutRejectedAfter;

    @Option(names = "--gold-chain", description = "Add each question's gold chain to its winners.")
    boolean goldChain;

    @Option(names = "--lr", split = ",", defaultValue = "1e-5", description = "Peak learning rate per iteration; the "
            + "last repeats (default: ${DEFAULT-VALUE}).")
    double[] lr;

    @Option(names = "--warmup", defaultValue = "0", paramLabel = "S", description = "Linear warm-up steps of each "
            + "iteration's training (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--min-lr-ratio", defaultValue = "1", paramLabel = "R", description = "Each iteration's cosine "
            + "schedule ends at R x its learning rate; 1 keeps it constant (default: ${DEFAULT-VALUE}).")
    double minLrRatio;

    @Option(names = "--epochs", defaultValue = "1", description = "Passes over each iteration's pairs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "16", description = "Pairs (or examples) per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--micro-batch", defaultValue = "16", description = "Per forward pass (default: ${DEFAULT-VALUE}).")
    int microBatch;

    @Option(names = "--max-new-tokens", defaultValue = "128", description = "Longest sampled completion (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--maj-k", defaultValue = "8", description = "Samples per test question for the majority vote; 0 "
            + "skips it (default: ${DEFAULT-VALUE}).")
    int majorityK;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--no-progress", description = "No progress bars.")
    boolean noProgress;

    @Option(names = "--overlong-prompts", defaultValue = "SKIP", description = "SKIP (drop questions whose prompt "
            + "does not fit the model's context, counted in metrics as skipped_overlong_questions) or ERROR "
            + "(refuse to start) (default: ${DEFAULT-VALUE}).")
    OverlongPolicy overlongPrompts;

    /** Applies these flags to a builder. */
    IterativeRpo.Builder apply(IterativeRpo.Builder b) {
        TrainingSettings training = TrainingSettings.defaults(lr[0]).withEpochs(epochs).withBatch(batch, microBatch)
                .withSchedule(warmup, minLrRatio);
        return b.method(method).iterations(iterations).samplesPerQuestion(samples).pairsPerQuestion(pairs)
                .maxCorrectPerQuestion(maxCorrect).temperatures(temperatures).learningRates(lr).beta(beta).nllWeight(nllWeight)
                .nllNormalization(nllNormalization).includeGoldChain(goldChain).cutRejectedAfterStep(cutRejectedAfter).training(training)
                .maxNewTokens(maxNewTokens).majorityVote(majorityK, 0.8).seed(seed).progressBar(!noProgress)
                .overlongPrompts(overlongPrompts).acceptChangedSettings(acceptChangedSettings);
    }
}
