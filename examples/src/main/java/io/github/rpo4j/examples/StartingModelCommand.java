package io.github.rpo4j.examples;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.data.JsonlWriter;
import io.github.rpo4j.iterate.Evaluation;
import io.github.rpo4j.iterate.Evaluator;
import io.github.rpo4j.iterate.PromptFormat;
import io.github.rpo4j.iterate.SCoRe;
import io.github.rpo4j.iterate.StartingModel;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.train.SftExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Trains the quickstart's starting model M0 from nothing and records its learning curve: greedy accuracy on the
 * validation problems (never the test set) every few hundred steps, so that one can see where SFT on the gold
 * chains stops improving.
 */
@Command(name = "starting-model", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains the quickstart's M0 by SFT on its 1,000 gold chains (StartingModel.Settings.quickstart(), "
                + "or the cycles given, from scratch or from --model), evaluating greedy accuracy on the 500 "
                + "validation problems every --eval-every steps.",
                "Writes DIR/curve.jsonl (one line per evaluation), DIR/cycle-I (the model after each cycle) and "
                        + "DIR/model (the final model)."})
final class StartingModelCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(StartingModelCommand.class);

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
    Path out;

    @Option(names = "--eval-every", paramLabel = "S", defaultValue = "250",
            description = "Evaluate every S steps of each cycle, and at its end (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--cycle", paramLabel = "EPOCHS:LR:WARMUP[:STOP]",
            description = "A learning-rate cycle (repeat the option for several, run in order): epochs of the cosine "
                    + "schedule, peak rate, warm-up steps, and optionally a step to stop at (default: the shipped "
                    + "M0's cycles).")
    List<String> cycles;

    @Option(names = "--validation", paramLabel = "N", defaultValue = "500", description = "Validation problems "
            + "evaluated, the first N of the 500 (default: ${DEFAULT-VALUE}).")
    int validationSize;

    @Option(names = "--eval-split", paramLabel = "SPLIT", defaultValue = "validation", description = "Evaluate on "
            + "the validation problems (choose the stopping point there) or on the test problems (to report a "
            + "control next to the loop's test accuracy): validation or test (default: ${DEFAULT-VALUE}).")
    String evalSplit;

    @Option(names = "--model", paramLabel = "DIR", description = "Continue from this model directory (a character-level "
            + "model over the task's alphabet) instead of a freshly initialised one.")
    Path model;

    @Option(names = "--gold-chains", paramLabel = "N", description = "SFT on the gold chains of the first N "
            + "training-side problems (default: the shipped M0's 1000; a loop's pool must then start at N or later, "
            + "`quickstart --pool-from`).")
    Integer goldChains;

    @Option(names = "--adam-beta2", paramLabel = "B2", description = "AdamW's second-moment decay in every cycle "
            + "(default: the shipped M0's 0.95).")
    Double adamBeta2;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "AdamW's decoupled weight decay on matrices in "
            + "every cycle (default: the shipped M0's 0).")
    Double weightDecay;

    @Option(names = "--context", paramLabel = "T", description = "Context length of a model trained from scratch "
            + "(default: the shipped M0's 224). RISE and SCoRe need room for a question, an attempt, the feedback "
            + "and the next attempt (about 330 and 383 tokens on the built-in task); positions beyond the longest "
            + "gold example (196 tokens) get no training from M0's SFT.")
    Integer context;

    @Option(names = "--two-attempt-examples", description = "Write every other gold example as two attempts: the "
            + "chain, SCoRe's instruction, and the same chain again, so that the model learns the format and the "
            + "positions of a second attempt (for RISE and SCoRe; the model's context must hold the longest such example, which is checked). No wrong attempt "
            + "is ever shown.")
    boolean twoAttemptExamples;

    @Option(names = "--first-cycle", paramLabel = "I", defaultValue = "1", description = "Number of the first cycle "
            + "given; cycle I shuffles with the initialisation seed + I - 1, so continuing a model after its cycle 1 "
            + "with --first-cycle 2 repeats what a run from scratch does (default: ${DEFAULT-VALUE}).")
    int firstCycle;

    @Override
    public Integer call() throws Exception {
        Flags.require(firstCycle >= 1, "--first-cycle", ">= 1", firstCycle);
        Flags.require(validationSize >= 1 && validationSize <= StartingModel.QUICKSTART_VALIDATION, "--validation",
                "in [1, " + StartingModel.QUICKSTART_VALIDATION + "]", validationSize);
        EvalSplit.check(evalSplit);
        Flags.require(evalEvery >= 1, "--eval-every", ">= 1", evalEvery);
        StartingModel.Settings defaults = StartingModel.Settings.quickstart();
        double adamBeta2 = this.adamBeta2 != null ? this.adamBeta2 : defaults.adamW().beta2();
        double weightDecay = this.weightDecay != null ? this.weightDecay : defaults.adamW().weightDecay();
        int goldChains = this.goldChains != null ? this.goldChains : defaults.goldChains();
        Flags.require(adamBeta2 >= 0 && adamBeta2 < 1, "--adam-beta2", "in [0, 1)", adamBeta2);
        Flags.require(weightDecay >= 0, "--weight-decay", ">= 0", weightDecay);
        Flags.require(goldChains >= 1 && goldChains <= StartingModel.QUICKSTART_VALIDATION_FROM, "--gold-chains",
                "in [1, " + StartingModel.QUICKSTART_VALIDATION_FROM + "]", goldChains);
        if (context != null) {
            Flags.require(model == null, "--context", "only for a model trained from scratch (without --model)", context);
            Flags.require(context >= 2, "--context", ">= 2", context);
        }
        if (context != null) {
            defaults = defaults.withContext(context);
        }
        StartingModel.Settings settings = (cycles == null ? defaults
                : defaults.withSeedAndCycles(defaults.seed(), parseCycles(cycles)))
                .withAdamW(defaults.adamW().withBeta2(adamBeta2).withWeightDecay(weightDecay))
                .withGoldChains(goldChains);
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        SyntheticArithmeticTask.Split split = StartingModel.quickstartSplit(task);
        List<Question> validation = EvalSplit.questions(evalSplit, split).subList(0, validationSize);
        Evaluator evaluator = Evaluator.numeric(task.verifier());
        int maxNewTokens = task.maxCompletionLength() + 8;
        StartingModel.Made made = StartingModel.initialize(task, settings);
        if (model != null) {
            ModelDirectory.Loaded loaded = ModelDirectory.load(model);
            if (!(loaded.tokenizer() instanceof io.github.rpo4j.text.CharTokenizer chars)) {
                throw new IllegalArgumentException("--model " + model + ": not a character-level model");
            }
            made = new StartingModel.Made(loaded.model(), chars);
        }
        if (twoAttemptExamples) {
            // The longest two-attempt example, in tokens, must fit the model's context (before anything is written).
            int needed = 0;
            for (SftExample e : StartingModel.twoAttemptGoldExamples(split.train().subList(0, goldChains),
                    PromptFormat.DEFAULT, settings.lossOnPrompt(), SCoRe.DEFAULT_INSTRUCTION)) {
                needed = Math.max(needed, made.tokenizer().encode(e.prompt() + e.completion()).length);
            }
            int actual = made.model().config().contextLength();
            Flags.require(actual >= needed, "--two-attempt-examples", "used with a model whose context holds its "
                    + "longest example (" + needed + " tokens: question, two chains and the instruction; --context)",
                    actual);
        }
        Files.createDirectories(out);
        StartingModel.Made trained = made;
        List<Map<String, Object>> curve = new ArrayList<>();
        int[] stepsBefore = {0};
        for (int i = 0; i < settings.cycles().size(); i++) {
            int cycle = firstCycle + i;
            StartingModel.Settings one = settings.withSeedAndCycles(settings.seed() + cycle - 1,
                    List.of(settings.cycles().get(i)));
            double[] lastLoss = {Double.NaN};
            int[] lastStep = {0};
            StartingModel.train(trained, split.train(), one, twoAttemptExamples ? SCoRe.DEFAULT_INSTRUCTION : null,
                    (step, metrics) -> {
                lastLoss[0] = metrics.getOrDefault("loss", Double.NaN);
                lastStep[0] = step;
                if (step % evalEvery == 0) {
                    curve.add(point(cycle, step, stepsBefore[0] + step, lastLoss[0],
                            evaluator.evaluate(trained.model(), trained.tokenizer(), validation, maxNewTokens, 0, 0, 0)));
                    writeCurve(curve);
                }
            });
            if (lastStep[0] % evalEvery != 0) {
                curve.add(point(cycle, lastStep[0], stepsBefore[0] + lastStep[0], lastLoss[0],
                        evaluator.evaluate(trained.model(), trained.tokenizer(), validation, maxNewTokens, 0, 0, 0)));
                writeCurve(curve);
            }
            stepsBefore[0] += lastStep[0];
            ModelDirectory.save(out.resolve("cycle-" + cycle), trained.model(), trained.tokenizer());
        }
        ModelDirectory.save(out.resolve("model"), trained.model(), trained.tokenizer());
        System.out.println("curve: " + out.resolve("curve.jsonl"));
        return 0;
    }

    private Map<String, Object> point(int cycle, int step, int totalStep, double loss, Evaluation e) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("cycle", cycle);
        p.put("step", step);
        p.put("total_step", totalStep);
        p.put("train_loss", loss);
        p.put(evalSplit + "_accuracy", e.greedyAccuracy());
        LOG.info("cycle {} step {} (total {}): loss {}, {} greedy accuracy {}", cycle, step, totalStep,
                String.format("%.4f", loss), evalSplit, String.format("%.3f", e.greedyAccuracy()));
        return p;
    }

    private void writeCurve(List<Map<String, Object>> curve) {
        try {
            JsonlWriter.writeAtomically(out.resolve("curve.jsonl"), curve);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Parses "EPOCHS:LR:WARMUP[:STOP]" cycles, naming the option and the bad value. */
    static List<StartingModel.Cycle> parseCycles(List<String> specs) {
        List<StartingModel.Cycle> out = new ArrayList<>();
        for (String spec : specs) {
            String[] f = spec.split(":");
            Flags.require(f.length == 3 || f.length == 4, "--cycle", "EPOCHS:LR:WARMUP[:STOP]", spec);
            try {
                out.add(new StartingModel.Cycle(Integer.parseInt(f[0]), Double.parseDouble(f[1]),
                        Integer.parseInt(f[2]), f.length == 4 ? Integer.parseInt(f[3]) : 0));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--cycle " + spec + ": " + e.getMessage(), e);
            }
        }
        return out;
    }
}
