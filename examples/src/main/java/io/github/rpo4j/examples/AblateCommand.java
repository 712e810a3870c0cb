package io.github.rpo4j.examples;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.iterate.ChatPromptFormat;
import io.github.rpo4j.iterate.IterativeRpo;
import io.github.rpo4j.iterate.Method;
import io.github.rpo4j.iterate.PromptFormat;
import io.github.rpo4j.iterate.QuickstartRecipe;
import io.github.rpo4j.io.AtomicFiles;
import io.github.rpo4j.iterate.Rise;
import io.github.rpo4j.iterate.RunDirectory;
import io.github.rpo4j.iterate.RunResult;
import io.github.rpo4j.iterate.SCoRe;
import io.github.rpo4j.iterate.StartingModel;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.text.Tokenizers;
import io.github.rpo4j.train.TrainingSettings;
import io.github.rpo4j.train.TrainingThreads;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The RPO paper's ablation (its Table 1) and the neighbouring methods, on the synthetic task from one starting
 * model: RPO, DPO only, SFT on the chosen samples (RPO without its DPO term), SFT on all correct samples (STaR),
 * ReST-EM, and optionally RISE and SCoRe, each run with every seed, the same training pool and at most the same
 * number of sampled chains per question and iteration. Winners are the model's own correct samples: no gold chain
 * is added. Runs go to parallel child processes, one native thread each; every run resumes where it stopped.
 */
@Command(name = "ablate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs RPO, DPO-only, SFT on chosen, SFT on correct (STaR) and ReST-EM (and RISE, SCoRe with "
                + "--methods) on the synthetic task from the same M0 with several seeds, each at its learning rate; "
                + "writes results.md, results.json, results.png and chosen_logps.png.",
                "--sweep LRS instead runs every method for one iteration at each rate (seed 0), evaluated on the "
                        + "validation problems, and writes sweep.md and sweep.json with each method's chosen rate.",
                "--model DIR --chat-template prompts every method through the chat template of an instruct model, "
                        + "RISE's and SCoRe's later attempts as further turns of the conversation.",
                "Every run lands in --out/seed-S/METHOD (sweep: --out/sweep/lr-LR/METHOD); running the same command "
                        + "again resumes."})
final class AblateCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(AblateCommand.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "runs/ablate", paramLabel = "DIR",
            description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seeds", defaultValue = "3", description = "Seeds per method (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--methods", split = ",", paramLabel = "M", description = "Methods, in table order, RPO first "
            + "(default: RPO,DPO,SFT_CHOSEN,SFT_CORRECT,REST_EM; also RISE, SCORE).")
    List<String> methods;

    @Option(names = "--quick", description = "Tiny sizes (4 pool and 4 test problems, one iteration) and the gold "
            + "chains among the preference methods' winners, so that even an untrained M0 gives pairs: checks the "
            + "pipeline in seconds; the numbers mean nothing.")
    boolean quick;

    @Option(names = "--pool", paramLabel = "N", description = "Training problems sampled each iteration (default: "
            + "the quickstart's " + QuickstartRecipe.POOL + ").")
    Integer poolSize;

    @Option(names = "--pool-from", paramLabel = "F", description = "First training-side problem of the pool; keep "
            + "the pool apart from M0's gold chains (default: " + StartingModel.QUICKSTART_POOL_FROM + ").")
    Integer poolFrom;

    @Option(names = "--test", paramLabel = "N", description = "Test problems evaluated (default: "
            + StartingModel.QUICKSTART_TEST + ").")
    Integer testSize;

    @Option(names = "--eval-split", paramLabel = "SPLIT", defaultValue = "test", description = "Evaluate on the "
            + "test problems or on the " + StartingModel.QUICKSTART_VALIDATION + " validation problems (choose "
            + "settings there, never on the test set): test or validation (default: ${DEFAULT-VALUE}).")
    String evalSplit;

    @Option(names = "--iterations", paramLabel = "N", description = "Iterations per method (default: "
            + QuickstartRecipe.ITERATIONS + "; SCoRe runs stage I once, then stage II).")
    Integer iterations;

    @Option(names = "--majority-k", paramLabel = "K", description = "Samples per evaluated question for the "
            + "majority vote; 0 skips it (default: the quickstart's " + QuickstartRecipe.MAJORITY_K + "; 0 in a sweep).")
    Integer majorityK;

    @Option(names = "--lr", split = ",", paramLabel = "LR|METHOD=LR", description = "Learning rate of every method, "
            + "or of the methods named (default: each method's rate from the documented sweep, "
            + "QuickstartRecipe.learningRate).")
    List<String> lr;

    @Option(names = "--sweep", split = ",", paramLabel = "LR", description = "Sweep these learning rates: one "
            + "iteration of every method at each, seed 0, evaluated on the validation problems.")
    List<Double> sweep;

    @Option(names = "--jobs", paramLabel = "J", description = "Runs at a time, each in its own process sampling on "
            + "the cores / J threads and training on as many (at least one; --sampling-threads and --training-threads "
            + "override), one native thread each (default: the number of cores).")
    Integer jobs;

    @Option(names = "--model", paramLabel = "DIR", description = "Starting model M0 (default: the M0 shipped in the "
            + "jar, or --from-scratch).")
    Path model;

    @Option(names = "--from-scratch", description = "Train M0 by SFT instead of using the shipped one.")
    boolean fromScratch;

    @Option(names = "--feedback", paramLabel = "TEXT", description = "The text after an attempt that asks for the "
            + "next one: RISE's feedback and SCoRe's instruction (default: each method's own, Rise.DEFAULT_FEEDBACK "
            + "and SCoRe.DEFAULT_INSTRUCTION).")
    String feedback;

    @Option(names = "--no-progress", description = "No progress bars.")
    boolean noProgress;

    @Mixin
    ChatTemplateOptions chat;

    /** How every run prompts: the chat template's format with --chat-template, else the question and a space. */
    private PromptFormat promptFormat = PromptFormat.DEFAULT;

    @Mixin
    SamplingThreadsOption sampling;

    /** Threads each run samples on in this process, and, with --jobs J, in each child (the cores / J by default). */
    private int samplingThreads;

    @Mixin
    TrainingThreadsOption trainingThreadsOption;

    /** Threads each run trains on in this process, and, with --jobs J, in each child (the cores / J by default). */
    private int trainingThreads;

    @Option(names = "--accept-changed-settings", description = "Resume runs whose config.json holds other settings "
            + "(refused otherwise, naming each difference); passed on to every child run.")
    boolean acceptChangedSettings;

    @Option(names = "--run", hidden = true, paramLabel = "METHOD:SEED:LR:DIR",
            description = "Run one method in this process and write no report (how the parallel runs are started).")
    String singleRun;

    /** Every method this command can run. */
    static final List<String> ALL_METHODS = List.of("RPO", "DPO", "SFT_CHOSEN", "SFT_CORRECT", "REST_EM", "RISE", "SCORE");
    /** The paper's ablation: the default comparison. */
    static final List<String> METHODS = List.of("RPO", "DPO", "SFT_CHOSEN", "SFT_CORRECT", "REST_EM");

    /** Sizes of a comparison. Every method draws at most {@code chains} completions per question and iteration. */
    record Sizes(int pool, int test, int iterations, int chains, int pairs, int riseTurns, int maxNewTokens,
                 int majorityK, int batch, StartingModel.Settings m0) {

        static Sizes full(SyntheticArithmeticTask task) {
            return new Sizes(QuickstartRecipe.POOL, StartingModel.QUICKSTART_TEST, QuickstartRecipe.ITERATIONS,
                    QuickstartRecipe.SAMPLES_PER_QUESTION, QuickstartRecipe.PAIRS_PER_QUESTION, 4,
                    task.maxCompletionLength() + 8, QuickstartRecipe.MAJORITY_K, 16,
                    StartingModel.Settings.quickstart());
        }

        /** These sizes with the given overrides (null keeps a size). */
        Sizes with(Integer newPool, Integer newTest, Integer newIterations, Integer newMajorityK) {
            return new Sizes(newPool != null ? newPool : pool, newTest != null ? newTest : test,
                    newIterations != null ? newIterations : iterations, chains, pairs, riseTurns, maxNewTokens,
                    newMajorityK != null ? newMajorityK : majorityK, batch, m0);
        }

        static Sizes quick() {
            return new Sizes(4, 4, 1, 4, 2, 2, 12, 2, 4,
                    new StartingModel.Settings(16, 4, 1, 16, 2, 224, 1, false,
                            List.of(new StartingModel.Cycle(1, 1e-3, 0, 0))));
        }
    }

    /**
     * One run of the comparison or the sweep. {@code leader} is the run whose starting stages it shares (null when
     * it has none): runs of the single-attempt methods with the same seed draw the same M0 samples and evaluate the
     * same M0, so they take both from the first such run instead of computing them again.
     */
    record RunSpec(String method, int seed, double lr, Path dir, RunSpec leader) {
        RunSpec(String method, int seed, double lr, Path dir) {
            this(method, seed, lr, dir, null);
        }

        String encode() {
            return method + ":" + seed + ":" + lr + ":" + dir;
        }

        static RunSpec decode(String s) {
            String[] f = s.split(":", 4);
            Flags.require(f.length == 4, "--run", "METHOD:SEED:LR:DIR", s);
            return new RunSpec(f[0], Integer.parseInt(f[1]), Double.parseDouble(f[2]), Path.of(f[3]));
        }
    }

    @Override
    public Integer call() throws Exception {
        Flags.require(seeds >= 1, "--seeds", ">= 1", seeds);
        EvalSplit.check(evalSplit);
        Flags.require(jobs == null || jobs >= 1, "--jobs", ">= 1", jobs);
        samplingThreads = sampling.threads();
        trainingThreads = trainingThreadsOption.threads();
        List<String> chosen = methods == null ? METHODS : methods;
        for (String m : chosen) {
            Flags.require(ALL_METHODS.contains(m), "--methods", "a list of " + ALL_METHODS, m);
        }
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        SyntheticArithmeticTask.Split split = StartingModel.quickstartSplit(task);
        boolean sweeping = sweep != null;
        Sizes sizes = (quick ? Sizes.quick() : Sizes.full(task)).with(poolSize, testSize,
                sweeping ? Integer.valueOf(1) : iterations, sweeping ? Integer.valueOf(0) : majorityK);
        Flags.require(sizes.majorityK() >= 0, "--majority-k", ">= 0", sizes.majorityK());
        int firstPoolProblem = poolFrom != null ? poolFrom : StartingModel.QUICKSTART_POOL_FROM;
        Flags.require(firstPoolProblem >= 0 && firstPoolProblem < StartingModel.QUICKSTART_VALIDATION_FROM,
                "--pool-from", "in [0, " + (StartingModel.QUICKSTART_VALIDATION_FROM - 1) + "]", firstPoolProblem);
        int poolAvailable = StartingModel.QUICKSTART_VALIDATION_FROM - firstPoolProblem;
        Flags.require(sizes.pool() >= 1 && sizes.pool() <= poolAvailable, "--pool", "in [1, " + poolAvailable + "]",
                sizes.pool());
        Flags.require(sizes.test() >= 1 && sizes.test() <= split.test().size(), "--test",
                "in [1, " + split.test().size() + "]", sizes.test());
        Flags.require(sizes.iterations() >= 1, "--iterations", ">= 1", sizes.iterations());
        Map<String, Double> rates = learningRates(chosen);
        for (double rate : sweeping ? sweep : List.<Double>of()) {
            Flags.require(rate > 0 && Double.isFinite(rate), "--sweep", "rates > 0", rate);
        }
        promptFormat = checkedPromptFormat();
        Files.createDirectories(out);
        Path m0 = startingModel(task, split, sizes);
        List<Question> pool = split.train().subList(firstPoolProblem, firstPoolProblem + sizes.pool());
        List<Question> evaluated = EvalSplit.questions(sweeping ? EvalSplit.VALIDATION : evalSplit, split);
        evaluated = evaluated.subList(0, Math.min(sizes.test(), evaluated.size()));

        if (singleRun != null) {
            runMethod(RunSpec.decode(singleRun), task, m0, pool, evaluated, sizes);
            return 0;
        }
        List<RunSpec> runs = new ArrayList<>();
        if (sweeping) {
            RunSpec leader = null;
            for (double rate : sweep) {
                for (String method : chosen) {
                    RunSpec run = new RunSpec(method, 0, rate, out.resolve("sweep").resolve("lr-" + rate)
                            .resolve(method.toLowerCase(Locale.ROOT)), SHARE_STARTING_STAGES.contains(method) ? leader : null);
                    leader = leader == null && SHARE_STARTING_STAGES.contains(method) ? run : leader;
                    runs.add(run);
                }
            }
        } else {
            for (int seed = 0; seed < seeds; seed++) {
                RunSpec leader = null;
                for (String method : chosen) {
                    RunSpec run = new RunSpec(method, seed, rates.get(method), out.resolve("seed-" + seed)
                            .resolve(method.toLowerCase(Locale.ROOT)), SHARE_STARTING_STAGES.contains(method) ? leader : null);
                    leader = leader == null && SHARE_STARTING_STAGES.contains(method) ? run : leader;
                    runs.add(run);
                }
            }
        }
        int parallel = jobs != null ? jobs : Runtime.getRuntime().availableProcessors();
        if (parallel > 1 && runs.size() > 1) {
            // J runs at a time share the cores: each child samples on its share unless the flag says otherwise.
            samplingThreads = sampling.threads != null ? sampling.threads
                    : Math.max(1, SamplingBackend.defaultThreads() / parallel);
            trainingThreads = trainingThreadsOption.threads != null ? trainingThreadsOption.threads
                    : Math.max(1, TrainingThreads.defaultThreads() / parallel);
            new ParallelRuns(this::childArguments, AblateCommand::shareStartingStages, m0, LOG).runAll(runs, parallel);
        }
        // In this process every run resumes: after the parallel runs, each one only reads its finished stages.
        Map<RunSpec, RunResult> results = new LinkedHashMap<>();
        for (RunSpec run : runs) {
            shareStartingStages(run);
            results.put(run, runMethod(run, task, m0, pool, evaluated, sizes));
        }
        if (sweeping) {
            SweepReport report = SweepReport.of(results, chosen, sweep);
            Rpo4jCli.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValue(out.resolve("sweep.json").toFile(), report.toJson());
            Files.writeString(out.resolve("sweep.md"), report.markdown(sizes, evaluated.size()));
            spec.commandLine().getOut().println(report.markdown(sizes, evaluated.size()));
        } else {
            Map<String, List<RunResult>> byMethod = new LinkedHashMap<>();
            for (Map.Entry<RunSpec, RunResult> e : results.entrySet()) {
                byMethod.computeIfAbsent(e.getKey().method(), k -> new ArrayList<>()).add(e.getValue());
            }
            AblationReport report = AblationReport.of(byMethod, evaluated.size(), rates);
            Rpo4jCli.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValue(out.resolve("results.json").toFile(), report.toJson(sizes, seeds));
            Files.writeString(out.resolve("results.md"), report.markdown(sizes, seeds));
            writePlot(out.resolve("results.png"), report);
            writeChosenLogpsPlot(out.resolve("chosen_logps.png"), report);
            spec.commandLine().getOut().println(report.markdown(sizes, seeds));
        }
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** Methods that sample single attempts the same way, so that runs with one seed can share M0's stages. */
    static final List<String> SHARE_STARTING_STAGES = List.of("RPO", "DPO", "SFT_CHOSEN", "SFT_CORRECT", "REST_EM");

    /**
     * Gives a run its leader's starting stages, where it has not got them yet: the copy of M0 with its evaluation
     * (iteration 0) and the samples M0 drew for iteration 1. They are what the run would compute itself, since it
     * starts from the same model with the same seed and sampling settings. Each is published atomically.
     */
    static void shareStartingStages(RunSpec run) throws IOException {
        if (run.leader() == null) {
            return;
        }
        RunDirectory from = new RunDirectory(run.leader().dir());
        RunDirectory to = new RunDirectory(run.dir());
        if (!Files.exists(from.evaluation(0)) || !Files.exists(from.samples(1))) {
            throw new IllegalStateException("run " + run.leader().dir() + " has not finished its first samples");
        }
        if (!Files.exists(to.iteration(0))) {
            Files.createDirectories(run.dir());
            AtomicFiles.publishDirectory(to.iteration(0), tmp -> copyTree(from.iteration(0), tmp));
        }
        if (!Files.exists(to.samples(1))) {
            Files.createDirectories(to.iteration(1));
            AtomicFiles.write(to.samples(1), outStream -> Files.copy(from.samples(1), outStream));
        }
    }

    private static void copyTree(Path source, Path target) throws IOException {
        try (var paths = Files.walk(source)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path dest = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        }
    }

    /**
     * The prompt format of every run, checked before anything is written: with --chat-template, the template's, whose
     * end of turn must be a special token of M0's tokenizer; else the default (the question and a space).
     */
    private PromptFormat checkedPromptFormat() throws IOException {
        if (chat.given() && model == null) {
            // The shipped and the --from-scratch M0 learned the plain prompt over a character tokenizer.
            throw new ParameterException(spec.commandLine(), "--chat-template needs --model DIR: the shipped M0 and "
                    + "--from-scratch's were trained on the question and a space, and their tokenizer has no chat "
                    + "tokens");
        }
        ChatPromptFormat format = chat.format(model, spec.commandLine());
        if (format == null) {
            return PromptFormat.DEFAULT;
        }
        // RISE's feedback and SCoRe's instruction become a user turn of their own, which needs text.
        Flags.require(feedback == null || !feedback.isBlank(), "--feedback", "text with --chat-template (a user "
                + "turn of its own)", "\"" + feedback + "\"");
        format.completionTokenizer(Tokenizers.load(model)); // throws naming the template when its eos_token is absent
        return format;
    }

    /** The learning rate of each method: the sweep's choice, unless --lr names one for all or for the method. */
    private Map<String, Double> learningRates(List<String> chosen) {
        Map<String, Double> rates = new LinkedHashMap<>();
        for (String m : chosen) {
            rates.put(m, quick ? 1e-3 : QuickstartRecipe.learningRate(m));
        }
        for (String entry : lr == null ? List.<String>of() : lr) {
            int eq = entry.indexOf('=');
            String method = eq < 0 ? null : entry.substring(0, eq);
            double rate;
            try {
                rate = Double.parseDouble(eq < 0 ? entry : entry.substring(eq + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--lr must be LR or METHOD=LR, got " + entry);
            }
            Flags.require(rate > 0 && Double.isFinite(rate), "--lr", "> 0 and finite", entry);
            Flags.require(method == null || rates.containsKey(method), "--lr", "METHOD=LR for a method that runs",
                    entry);
            if (method == null) {
                rates.replaceAll((k, v) -> rate);
            } else {
                rates.put(method, rate);
            }
        }
        return rates;
    }

    /** The arguments of a child process that runs one run of this command. */
    private List<String> childArguments(RunSpec run, Path m0) {
        List<String> args = new ArrayList<>(List.of("ablate", "--run", run.encode(), "--out", out.toString(),
                "--model", m0.toString(), "--eval-split", evalSplit, "--no-progress",
                SamplingThreadsOption.FLAG, Integer.toString(samplingThreads),
                TrainingThreadsOption.FLAG, Integer.toString(trainingThreads)));
        if (quick) {
            args.add("--quick");
        }
        if (poolSize != null) {
            args.addAll(List.of("--pool", poolSize.toString()));
        }
        if (poolFrom != null) {
            args.addAll(List.of("--pool-from", poolFrom.toString()));
        }
        if (testSize != null) {
            args.addAll(List.of("--test", testSize.toString()));
        }
        if (sweep != null) {
            args.addAll(List.of("--sweep", sweep.get(0).toString()));
        } else if (iterations != null) {
            args.addAll(List.of("--iterations", iterations.toString()));
        }
        if (majorityK != null) {
            args.addAll(List.of("--majority-k", majorityK.toString()));
        }
        if (feedback != null) {
            args.addAll(List.of("--feedback", feedback));
        }
        if (acceptChangedSettings) {
            args.add("--accept-changed-settings");
        }
        args.addAll(chat.arguments()); // last: a bare --chat-template then takes no value from a following argument
        return args;
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

    private RunResult runMethod(RunSpec run, SyntheticArithmeticTask task, Path m0, List<Question> pool,
                                List<Question> evaluated, Sizes z) throws IOException {
        // The quickstart's schedule (warm-up, cosine decay) at the run's peak rate and the comparison's batch.
        TrainingSettings training = QuickstartRecipe.training().withLearningRate(run.lr()).withBatch(z.batch(), z.batch())
                .withThreads(trainingThreads);
        boolean progress = !noProgress && singleRun == null;
        switch (run.method()) {
            case "RISE":
                return Rise.builder().modelDirectory(m0).trainQuestions(pool).evalQuestions(evaluated)
                        .verifier(task.verifier()).promptFormat(promptFormat).iterations(z.iterations())
                        .turns(z.riseTurns())
                        // n candidates at each of T turns: at most T * n = chains per question.
                        .candidates(Math.max(1, z.chains() / z.riseTurns())).temperature(0.8)
                        .feedback(feedback != null ? feedback : Rise.DEFAULT_FEEDBACK)
                        .maxNewTokens(z.maxNewTokens()).training(training).majorityVote(z.majorityK(), 0.8)
                        .seed(run.seed()).progressBar(progress).runDirectory(run.dir())
                        .samplingThreads(samplingThreads).acceptChangedSettings(acceptChangedSettings).build().run();
            case "SCORE":
                // chains / 2 first attempts, each with one second attempt; stage I once, then stage II.
                return SCoRe.builder().modelDirectory(m0).trainQuestions(pool).evalQuestions(evaluated)
                        .verifier(task.verifier()).promptFormat(promptFormat)
                        .stages(1, Math.max(0, z.iterations() - 1))
                        .samplesPerQuestion(Math.max(2, z.chains() / 2)).temperature(0.8)
                        .instruction(feedback != null ? feedback : SCoRe.DEFAULT_INSTRUCTION)
                        .maxNewTokens(z.maxNewTokens()).training(training).majorityVote(z.majorityK(), 0.8)
                        .seed(run.seed()).progressBar(progress).runDirectory(run.dir())
                        .samplingThreads(samplingThreads).acceptChangedSettings(acceptChangedSettings).build().run();
            default:
                IterativeRpo.Builder b = QuickstartRecipe.loop(task, pool, evaluated, run.dir(), run.seed())
                        .modelDirectory(m0).promptFormat(promptFormat).iterations(z.iterations())
                        .samplesPerQuestion(z.chains())
                        .pairsPerQuestion(z.pairs()).maxCorrectPerQuestion(z.chains()).training(training)
                        .maxNewTokens(z.maxNewTokens()).majorityVote(z.majorityK(), 0.8).progressBar(progress)
                        // An untrained M0 is never right: the gold chain is then the only winner a pair can have.
                        .includeGoldChain(quick).samplingThreads(samplingThreads)
                        .acceptChangedSettings(acceptChangedSettings);
                switch (run.method()) {
                    case "RPO" -> b.method(Method.PREFERENCE);
                    case "DPO" -> b.method(Method.PREFERENCE).nllWeight(0.0);
                    case "SFT_CHOSEN" -> b.method(Method.SFT_ON_CHOSEN);
                    case "SFT_CORRECT" -> b.method(Method.SFT_ON_CORRECT);
                    case "REST_EM" -> b.method(Method.REST_EM);
                    default -> throw new IllegalStateException("unknown method " + run.method());
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
