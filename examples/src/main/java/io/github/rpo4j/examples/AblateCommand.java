package io.github.rpo4j.examples;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.iterate.IterativeRpo;
import io.github.rpo4j.iterate.Method;
import io.github.rpo4j.iterate.QuickstartRecipe;
import io.github.rpo4j.iterate.Rise;
import io.github.rpo4j.iterate.RunResult;
import io.github.rpo4j.iterate.Score;
import io.github.rpo4j.iterate.StartingModel;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The RPO paper's ablation (its Table 1) and the neighbouring self-correction methods, on the synthetic
 * task from one starting model: RPO, DPO only, SFT on correct samples, ReST-EM, RISE and SCoRe, each run
 * with every seed, the same training pool and at most the same number of sampled chains per question and
 * iteration.
 */
@Command(name = "ablate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs RPO, DPO-only, SFT-on-correct, ReST-EM, RISE and SCoRe on the synthetic task from the same "
                + "M0 with several seeds; writes results.md, results.json, results.png and chosen_logps.png.",
                "Every run lands in --out/seed-S/METHOD; running the same command again resumes."})
final class AblateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "runs/ablate", paramLabel = "DIR",
            description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seeds", defaultValue = "3", description = "Seeds per method (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--quick", description = "Tiny sizes (4 pool and 4 test problems, one iteration) and the gold "
            + "chains among RPO's and DPO's winners, so that even an untrained M0 gives pairs: checks the pipeline in "
            + "seconds; the numbers mean nothing.")
    boolean quick;

    @Option(names = "--pool", paramLabel = "N", description = "Training problems sampled each iteration (default: "
            + "the quickstart's " + QuickstartRecipe.POOL + ").")
    Integer poolSize;

    @Option(names = "--test", paramLabel = "N", description = "Test problems evaluated (default: "
            + StartingModel.QUICKSTART_TEST + ").")
    Integer testSize;

    @Option(names = "--iterations", paramLabel = "N", description = "Iterations per method (default: "
            + QuickstartRecipe.ITERATIONS + "; SCoRe runs stage I once, then stage II).")
    Integer iterations;

    @Option(names = "--lr", paramLabel = "LR", description = "Learning rate of every method's training (default: "
            + "the quickstart's " + QuickstartRecipe.LEARNING_RATE + ").")
    Double lr;

    @Option(names = "--model", paramLabel = "DIR", description = "Starting model M0 (default: the M0 shipped in the "
            + "jar, or --from-scratch).")
    Path model;

    @Option(names = "--from-scratch", description = "Train M0 by SFT instead of using the shipped one.")
    boolean fromScratch;

    @Option(names = "--no-progress", description = "No progress bars.")
    boolean noProgress;

    /** The compared methods, in table order; RPO is the one the others are tested against. */
    static final List<String> METHODS = List.of("RPO", "DPO", "SFT", "REST_EM", "RISE", "SCORE");

    /** Sizes of a comparison. Every method draws at most {@code chains} completions per question and iteration. */
    record Sizes(int pool, int test, int iterations, int chains, int pairs, int riseTurns, int maxNewTokens,
                 int majorityK, double lr, int batch, StartingModel.Settings m0) {

        static Sizes full(SyntheticArithmeticTask task) {
            return new Sizes(QuickstartRecipe.POOL, StartingModel.QUICKSTART_TEST, QuickstartRecipe.ITERATIONS,
                    QuickstartRecipe.SAMPLES_PER_QUESTION, QuickstartRecipe.PAIRS_PER_QUESTION, 4,
                    task.maxCompletionLength() + 8, QuickstartRecipe.MAJORITY_K, QuickstartRecipe.LEARNING_RATE, 16,
                    StartingModel.Settings.quickstart());
        }

        /** These sizes with the given overrides (null keeps a size). */
        Sizes with(Integer newPool, Integer newTest, Integer newIterations, Double newLr) {
            return new Sizes(newPool != null ? newPool : pool, newTest != null ? newTest : test,
                    newIterations != null ? newIterations : iterations, chains, pairs, riseTurns, maxNewTokens,
                    majorityK, newLr != null ? newLr : lr, batch, m0);
        }

        static Sizes quick() {
            return new Sizes(4, 4, 1, 4, 2, 2, 12, 2, 1e-3, 4,
                    new StartingModel.Settings(16, 4, 1, 16, 2, 224, 1, false,
                            List.of(new StartingModel.Cycle(1, 1e-3, 0, 0))));
        }
    }

    @Override
    public Integer call() throws Exception {
        Flags.require(seeds >= 1, "--seeds", ">= 1", seeds);
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        SyntheticArithmeticTask.Split split = StartingModel.quickstartSplit(task);
        Sizes sizes = (quick ? Sizes.quick() : Sizes.full(task)).with(poolSize, testSize, iterations, lr);
        int poolAvailable = split.train().size() - sizes.m0().goldChains();
        Flags.require(sizes.pool() >= 1 && sizes.pool() <= poolAvailable, "--pool", "in [1, " + poolAvailable + "]",
                sizes.pool());
        Flags.require(sizes.test() >= 1 && sizes.test() <= split.test().size(), "--test",
                "in [1, " + split.test().size() + "]", sizes.test());
        Flags.require(sizes.iterations() >= 1, "--iterations", ">= 1", sizes.iterations());
        Flags.require(sizes.lr() > 0 && Double.isFinite(sizes.lr()), "--lr", "> 0 and finite", sizes.lr());
        Files.createDirectories(out);
        Path m0 = startingModel(task, split, sizes);
        List<Question> pool = QuickstartRecipe.pool(split, sizes.m0().goldChains(), sizes.pool());
        List<Question> test = split.test().subList(0, sizes.test());

        Map<String, List<RunResult>> results = new LinkedHashMap<>();
        for (String method : METHODS) {
            results.put(method, new ArrayList<>());
        }
        for (int seed = 0; seed < seeds; seed++) {
            Path seedDir = out.resolve("seed-" + seed);
            for (String method : METHODS) {
                Path runDir = seedDir.resolve(method.toLowerCase(java.util.Locale.ROOT));
                results.get(method).add(runMethod(method, task, m0, pool, test, sizes, seed, runDir));
            }
        }
        AblationReport report = AblationReport.of(results, test.size());
        Rpo4jCli.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(out.resolve("results.json").toFile(), report.toJson(sizes, seeds));
        Files.writeString(out.resolve("results.md"), report.markdown(sizes, seeds));
        writePlot(out.resolve("results.png"), report);
        writeChosenLogpsPlot(out.resolve("chosen_logps.png"), report);
        spec.commandLine().getOut().println(report.markdown(sizes, seeds));
        spec.commandLine().getOut().flush();
        return 0;
    }

    private Path startingModel(SyntheticArithmeticTask task, SyntheticArithmeticTask.Split split, Sizes sizes)
            throws IOException {
        if (model != null) {
            return model;
        }
        Path m0 = out.resolve("m0");
        if (!ModelDirectory.isComplete(m0)) {
            if (fromScratch) {
                StartingModel.Made made = StartingModel.train(task, split.train(), sizes.m0(), (s, m) -> { });
                ModelDirectory.save(m0, made.model(), made.tokenizer());
            } else {
                try {
                    QuickstartCommand.extractShipped(m0);
                } catch (IOException e) {
                    throw new IOException(e.getMessage() + ", or give a starting model with --model DIR", e);
                }
            }
        }
        return m0;
    }

    private RunResult runMethod(String method, SyntheticArithmeticTask task, Path m0, List<Question> pool,
                                List<Question> test, Sizes z, int seed, Path runDir) throws IOException {
        // The quickstart's schedule (warm-up, cosine decay) at the comparison's peak rate and batch.
        TrainingSettings training = QuickstartRecipe.training().withLearningRate(z.lr()).withBatch(z.batch(), z.batch());
        switch (method) {
            case "RISE":
                return Rise.builder().modelDirectory(m0).trainQuestions(pool).evalQuestions(test)
                        .verifier(task.verifier()).iterations(z.iterations()).turns(z.riseTurns())
                        // n candidates at each of T turns: at most T * n = chains per question.
                        .candidates(Math.max(1, z.chains() / z.riseTurns())).temperature(0.8)
                        .maxNewTokens(z.maxNewTokens()).training(training).majorityVote(z.majorityK(), 0.8)
                        .seed(seed).progressBar(!noProgress).runDirectory(runDir).build().run();
            case "SCORE":
                // chains / 2 first attempts, each with one second attempt; stage I once, then stage II.
                return Score.builder().modelDirectory(m0).trainQuestions(pool).evalQuestions(test)
                        .verifier(task.verifier()).stages(1, z.iterations() - 1)
                        .samplesPerQuestion(Math.max(2, z.chains() / 2)).temperature(0.8)
                        .maxNewTokens(z.maxNewTokens()).training(training).majorityVote(z.majorityK(), 0.8)
                        .seed(seed).progressBar(!noProgress).runDirectory(runDir).build().run();
            default:
                IterativeRpo.Builder b = IterativeRpo.builder().modelDirectory(m0).trainQuestions(pool)
                        .evalQuestions(test).verifier(task.verifier()).iterations(z.iterations())
                        .samplesPerQuestion(z.chains()).pairsPerQuestion(z.pairs()).maxCorrectPerQuestion(z.chains())
                        .temperatures(0.8).beta(0.1).training(training).maxNewTokens(z.maxNewTokens())
                        .majorityVote(z.majorityK(), 0.8).seed(seed).progressBar(!noProgress).runDirectory(runDir)
                        // An untrained M0 is never right: the gold chain is then the only winner a pair can have.
                        .includeGoldChain(quick);
                switch (method) {
                    // RPO as the quickstart runs it, and the same without the NLL term.
                    case "RPO" -> b.method(Method.PREFERENCE).alpha(QuickstartRecipe.ALPHA)
                            .cutRejectedAfterStep(QuickstartRecipe.REJECTED_STEP_END);
                    case "DPO" -> b.method(Method.PREFERENCE).alpha(0.0)
                            .cutRejectedAfterStep(QuickstartRecipe.REJECTED_STEP_END);
                    case "SFT" -> b.method(Method.SFT_ON_CORRECT);
                    case "REST_EM" -> b.method(Method.REST_EM);
                    default -> throw new IllegalStateException("unknown method " + method);
                }
                return b.build().run();
        }
    }

    /** Mean greedy accuracy per iteration per method, with the seeds' 95% t-interval as error bars. */
    static void writePlot(Path file, AblationReport report) throws IOException {
        XYChart chart = new XYChartBuilder().width(720).height(460).title("Greedy test accuracy per iteration")
                .xAxisTitle("iteration").yAxisTitle("accuracy (%)").build();
        for (String method : report.methods()) {
            List<AblationStatistics.MeanInterval> greedy = report.greedy(method);
            double[] x = new double[greedy.size()];
            double[] y = new double[greedy.size()];
            double[] err = new double[greedy.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = i;
                y[i] = 100 * greedy.get(i).mean();
                double half = greedy.get(i).upper() - greedy.get(i).mean();
                err[i] = Double.isFinite(half) ? 100 * half : 0;
            }
            chart.addSeries(method, x, y, err);
        }
        save(chart, file);
    }

    /** logps/chosen of each training step of DPO-only and RPO, mean over seeds, iterations one after another. */
    static void writeChosenLogpsPlot(Path file, AblationReport report) throws IOException {
        XYChart chart = new XYChartBuilder().width(720).height(460).title("Chosen log-probability during training")
                .xAxisTitle("training step (all iterations)").yAxisTitle("mean log p(chosen)").build();
        boolean any = false;
        for (Map.Entry<String, double[]> e : report.chosenLogps().entrySet()) {
            double[] y = e.getValue();
            if (y.length == 0) {
                continue;
            }
            double[] x = new double[y.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = i + 1;
            }
            chart.addSeries(e.getKey(), x, y);
            any = true;
        }
        if (any) {
            save(chart, file);
        }
    }

    private static void save(XYChart chart, Path file) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
        Files.move(tmp.resolveSibling(tmp.getFileName() + ".png"), file, StandardCopyOption.REPLACE_EXISTING);
    }
}
