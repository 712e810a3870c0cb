package io.github.rpo4j.examples;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticConfig;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.iterate.Method;
import io.github.rpo4j.losses.NllNormalization;
import io.github.rpo4j.io.AtomicFiles;
import io.github.rpo4j.iterate.IterativeRpo;
import io.github.rpo4j.iterate.QuickstartRecipe;
import io.github.rpo4j.iterate.RunResult;
import io.github.rpo4j.iterate.StartingModel;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** From nothing to an improved model on the synthetic task: M0, then three iterations of RPO. */
@Command(name = "quickstart", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs RPO on the built-in synthetic arithmetic task from the model's own samples: 1,000 pool "
                + "problems, N=4 samples and K=4 pairs per problem (winners are the model's correct samples, losers "
                + "are cut after their first wrong step), 3 iterations, evaluated on 500 held-out problems "
                + "(QuickstartRecipe).",
                "The starting model M0 ships inside the jar (made by the same SFT as --from-scratch); "
                        + "--from-scratch trains it anew.",
                "Running the same command again resumes after the last completed stage."})
final class QuickstartCommand implements Callable<Integer> {

    /** The shipped M0's files, as resources of this module. */
    static final String SHIPPED_M0 = "/quickstart-m0/";

    @Option(names = "--out", defaultValue = "runs/quickstart", paramLabel = "DIR",
            description = "Run directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling and training seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--from-scratch", description = "Train M0 by SFT instead of using the shipped one.")
    boolean fromScratch;

    @Option(names = "--model", paramLabel = "DIR", description = "Start from this M0 (a model directory, e.g. one "
            + "made by `starting-model`) instead of the shipped one.")
    Path model;

    @Option(names = "--pool-from", paramLabel = "F", description = "First training-side problem of the pool; keep "
            + "the pool apart from M0's gold chains (default: " + StartingModel.QUICKSTART_POOL_FROM + ").")
    Integer poolFrom;

    @Option(names = "--start-range", paramLabel = "MIN:MAX", description = "Pool, validation and test problems "
            + "start from an amount in MIN..MAX instead of 10..99 (M0's gold chains): problems unlike M0's, of which "
            + "only the answers are used (default: M0's range).")
    String startRange;

    @Mixin
    SamplingThreadsOption sampling;

    @Mixin
    TrainingThreadsOption trainingThreadsOption;

    @Option(names = "--no-progress", description = "No progress bars.")
    boolean noProgress;

    @Option(names = "--lr", split = ",", description = "Peak learning rate per iteration, the last repeating "
            + "(default: the recipe's).")
    double[] lr;

    @Option(names = {"--nll-weight", "--alpha"}, description = "NLL weight on the winner (the paper's alpha; "
            + "--alpha is a deprecated alias); 0 = DPO only (default: " + QuickstartRecipe.NLL_WEIGHT + ").")
    Double nllWeight;

    @Option(names = "--accept-changed-settings", description = "Resume a run directory whose config.json holds "
            + "other settings (refused otherwise, naming each difference).")
    boolean acceptChangedSettings;

    @Option(names = "--beta", description = "DPO beta (default: 0.1).")
    Double beta;

    @Option(names = "--gold-chain", negatable = true, description = "Add each pool problem's gold chain to its "
            + "winners: extra supervision, a different method from RPO on the model's own samples (default: off).")
    Boolean goldChain;

    @Option(names = "--cut-rejected-after", paramLabel = "STR", description = "Score each loser only through the "
            + "end of its first wrong step, marked by STR (default: the recipe's choice; 'none' scores whole losers).")
    String cutRejectedAfter;

    @Option(names = "--pairs", description = "K, pairs per question (default: " + QuickstartRecipe.PAIRS_PER_QUESTION + ").")
    Integer pairs;

    @Option(names = "--pool", paramLabel = "N", description = "Training problems sampled each iteration (default: "
            + QuickstartRecipe.POOL + ").")
    Integer pool;

    @Option(names = "--samples", paramLabel = "N", description = "N, chains sampled per problem and iteration "
            + "(default: " + QuickstartRecipe.SAMPLES_PER_QUESTION + ").")
    Integer samples;

    @Option(names = "--method", paramLabel = "M", defaultValue = "PREFERENCE", description = "What each iteration "
            + "trains on: PREFERENCE (RPO; DPO with --nll-weight 0), SFT_ON_CHOSEN (the NLL term alone on RPO's winners: "
            + "the control), SFT_ON_CORRECT or REST_EM (default: ${DEFAULT-VALUE}).")
    Method method;

    @Option(names = "--eval-split", paramLabel = "SPLIT", defaultValue = "test", description = "Evaluate on the 500 "
            + "test problems or on the 500 validation problems (choose settings there): test or validation "
            + "(default: ${DEFAULT-VALUE}).")
    String evalSplit;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature of the pool (default: "
            + "0.8).")
    Double temperature;

    @Option(names = "--nll", paramLabel = "FORM", description = "NLL normalisation: PER_SEQUENCE_MEAN (the paper's) "
            + "or BATCH_TOKEN_MEAN (TRL's rpo_alpha) (default: PER_SEQUENCE_MEAN).")
    NllNormalization nll;

    @Option(names = "--iterations", paramLabel = "T", description = "Iterations (default: "
            + QuickstartRecipe.ITERATIONS + ").")
    Integer iterations;

    @Option(names = "--reference-m0", description = "DPO reference M0 in every iteration instead of the model the "
            + "iteration starts from (the paper's choice).")
    boolean referenceM0;

    @Option(names = "--warmup", paramLabel = "S", description = "Linear warm-up steps of each iteration's training "
            + "(default: the recipe's).")
    Integer warmup;

    @Option(names = "--epochs", paramLabel = "E", description = "Passes over each iteration's pairs or examples "
            + "(default: 1).")
    Integer epochs;

    @Option(names = "--majority-k", paramLabel = "K", description = "Samples per evaluated question for the "
            + "majority vote; 0 skips it (default: " + QuickstartRecipe.MAJORITY_K + ").")
    Integer majorityK;

    @Option(names = "--min-lr-ratio", paramLabel = "R", description = "Each iteration's cosine schedule ends at R x "
            + "its learning rate; 1 keeps the rate constant (default: the recipe's).")
    Double minLrRatio;

    @Override
    public Integer call() throws Exception {
        SyntheticArithmeticTask task = new SyntheticArithmeticTask(taskConfig());
        SyntheticArithmeticTask.Split split = StartingModel.quickstartSplit(task);
        StartingModel.Settings m0Settings = StartingModel.Settings.quickstart();
        int firstPoolProblem = poolFrom != null ? poolFrom : StartingModel.QUICKSTART_POOL_FROM;
        Flags.require(firstPoolProblem >= 0 && firstPoolProblem < StartingModel.QUICKSTART_VALIDATION_FROM, "--pool-from",
                "in [0, " + (StartingModel.QUICKSTART_VALIDATION_FROM - 1) + "]", firstPoolProblem);
        if (fromScratch && model != null) {
            throw new IllegalArgumentException("--model and --from-scratch exclude each other");
        }
        checkFlags(StartingModel.QUICKSTART_VALIDATION_FROM - firstPoolProblem); // before anything is written
        int samplingThreads = sampling.threads();
        int trainingThreads = trainingThreadsOption.threads();
        Files.createDirectories(out);
        Path m0 = out.resolve("m0");
        if (!ModelDirectory.isComplete(m0)) {
            if (model != null) {
                ModelDirectory.Loaded loaded = ModelDirectory.load(model);
                ModelDirectory.save(m0, loaded.model(), loaded.tokenizer());
            } else if (fromScratch) {
                SyntheticArithmeticTask m0Task = new SyntheticArithmeticTask();
                StartingModel.Made made = StartingModel.train(m0Task, StartingModel.quickstartSplit(m0Task).train(),
                        m0Settings, (s, m) -> { });
                ModelDirectory.save(m0, made.model(), made.tokenizer());
            } else {
                extractShipped(m0);
            }
        }
        List<Question> evaluated = EvalSplit.questions(evalSplit, split);
        IterativeRpo.Builder loop = QuickstartRecipe.loop(task, QuickstartRecipe.pool(split, firstPoolProblem,
                        pool != null ? pool : QuickstartRecipe.POOL), evaluated, out.resolve("rpo"), seed)
                .modelDirectory(m0).progressBar(!noProgress).method(method).samplingThreads(samplingThreads)
                .trainingThreads(trainingThreads);
        if (samples != null) {
            loop.samplesPerQuestion(samples);
        }
        if (warmup != null || minLrRatio != null || lr != null || epochs != null) {
            TrainingSettings recipe = QuickstartRecipe.training();
            TrainingSettings training = recipe.withSchedule(warmup != null ? warmup : recipe.warmupSteps(),
                    minLrRatio != null ? minLrRatio : recipe.minLrRatio())
                    .withEpochs(epochs != null ? epochs : recipe.epochs());
            // The builder refuses a training rate that contradicts the first of learningRates(...).
            loop.training(lr != null ? training.withLearningRate(lr[0]) : training);
        }
        if (lr != null) {
            loop.learningRates(lr);
        }
        if (nllWeight != null) {
            loop.nllWeight(nllWeight);
        }
        loop.acceptChangedSettings(acceptChangedSettings);
        loop.referenceStartingModel(referenceM0);
        if (majorityK != null) {
            loop.majorityVote(majorityK, 0.8);
        }
        if (iterations != null) {
            loop.iterations(iterations);
        }
        if (temperature != null) {
            loop.temperatures(temperature);
        }
        if (nll != null) {
            loop.nllNormalization(nll);
        }
        if (beta != null) {
            loop.beta(beta);
        }
        if (pairs != null) {
            loop.pairsPerQuestion(pairs);
        }
        if (cutRejectedAfter != null) {
            loop.cutRejectedAfterStep(cutRejectedAfter.equals("none") ? null : cutRejectedAfter);
        }
        if (goldChain != null) {
            loop.includeGoldChain(goldChain);
        }
        RunResult result = loop.build().run();
        printTable(result);
        System.out.println("metrics: " + result.runDirectory().resolve("metrics.jsonl"));
        return 0;
    }

    /** The task of the pool and the evaluated problems: M0's, or with the starting amounts of --start-range. */
    private SyntheticArithmeticConfig taskConfig() {
        SyntheticArithmeticConfig defaults = SyntheticArithmeticConfig.defaults();
        if (startRange == null) {
            return defaults;
        }
        String[] parts = startRange.split(":", -1);
        try {
            if (parts.length != 2) {
                throw new NumberFormatException();
            }
            return defaults.toBuilder().start(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()))
                    .build();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--start-range: expected MIN:MAX, got '" + startRange + "'");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--start-range " + startRange + ": " + e.getMessage());
        }
    }

    /** Names the first flag out of range. */
    private void checkFlags(int poolAvailable) {
        EvalSplit.check(evalSplit);
        Flags.require(temperature == null || (temperature >= 0 && Double.isFinite(temperature)), "--temperature",
                ">= 0", temperature);
        Flags.require(nllWeight == null || (nllWeight >= 0 && Double.isFinite(nllWeight)), "--nll-weight", ">= 0",
                nllWeight);
        Flags.require(beta == null || (beta > 0 && Double.isFinite(beta)), "--beta", "> 0", beta);
        Flags.require(pool == null || (pool >= 1 && pool <= poolAvailable), "--pool", "in [1, " + poolAvailable + "]",
                pool);
        Flags.require(samples == null || samples >= 1, "--samples", ">= 1", samples);
        Flags.require(epochs == null || epochs >= 1, "--epochs", ">= 1", epochs);
        Flags.require(majorityK == null || majorityK >= 0, "--majority-k", ">= 0", majorityK);
        Flags.require(iterations == null || iterations >= 1, "--iterations", ">= 1", iterations);
        Flags.require(pairs == null || pairs >= 1, "--pairs", ">= 1", pairs);
        Flags.require(warmup == null || warmup >= 0, "--warmup", ">= 0", warmup);
        Flags.require(minLrRatio == null || (minLrRatio >= 0 && minLrRatio <= 1), "--min-lr-ratio", "in [0, 1]",
                minLrRatio);
        for (double rate : lr == null ? new double[0] : lr) {
            Flags.require(rate > 0 && Double.isFinite(rate), "--lr", "> 0 for each rate", rate);
        }
    }

    /** Copies the M0 shipped in the jar into a model directory. */
    static void extractShipped(Path dir) throws IOException {
        AtomicFiles.publishDirectory(dir, tmp -> {
            for (String name : List.of(ModelDirectory.CONFIG, ModelDirectory.WEIGHTS, Tokenizer.FILE_NAME)) {
                try (InputStream in = QuickstartCommand.class.getResourceAsStream(SHIPPED_M0 + name)) {
                    if (in == null) {
                        throw new IOException("the jar has no shipped M0 file " + name + "; run with --from-scratch");
                    }
                    Files.copy(in, tmp.resolve(name));
                }
            }
        });
    }

    /** One row per evaluated model: accuracy, then what the pool's samples and the training said. */
    static void printTable(RunResult result) {
        System.out.println();
        System.out.println("iteration  greedy   95% CI          maj@k    sample acc  pass@N  sound steps  pairs   seconds");
        for (Map<String, Object> m : result.iterations()) {
            Object ci = m.get("test_accuracy_ci95");
            String interval = "";
            if (ci instanceof List<?> l && l.size() == 2) {
                interval = String.format("[%.3f, %.3f]", ((Number) l.get(0)).doubleValue(), ((Number) l.get(1)).doubleValue());
            } else if (ci instanceof double[] d) {
                interval = String.format("[%.3f, %.3f]", d[0], d[1]);
            }
            Object pairs = m.get("train_pairs");
            System.out.printf("%-10s %-8.3f %-15s %-8.3f %-11s %-7s %-12s %-7s %.0f%n", m.get("iteration"),
                    ((Number) m.get("test_accuracy")).doubleValue(), interval,
                    ((Number) m.get("maj_at_k_accuracy")).doubleValue(), fraction(m.get("sample_accuracy")),
                    fraction(m.get("pass_at_n")), fraction(m.get("winners_all_steps_correct")),
                    pairs == null ? "-" : pairs, ((Number) m.get("seconds")).doubleValue());
        }
    }

    private static String fraction(Object value) {
        return value instanceof Number n ? String.format("%.3f", n.doubleValue()) : "-";
    }
}
