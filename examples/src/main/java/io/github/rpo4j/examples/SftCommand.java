package io.github.rpo4j.examples;

import io.github.rpo4j.LanguageModel;
import io.github.rpo4j.iterate.PromptFormat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.model.Family;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.optim.AdamW;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.train.SftExample;
import io.github.rpo4j.train.SftTrainer;
import io.github.rpo4j.train.TrainingReport;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Supervised fine-tuning on gold chains, from a model directory or from scratch. */
@Command(name = "sft",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
                "Supervised fine-tuning: trains the model to write each question's gold chain after its prompt "
                        + "and separator (loss on the chain and the end token only), then saves a model directory.",
                "Data: --train FILE (JSONL, see --format) or --synthetic N built-in arithmetic problems. "
                        + "Model: --model DIR to fine-tune, or --from-scratch with a character tokenizer built from "
                        + "the training text (or, with --synthetic, from the task's alphabet).",
                "Prints a JSON summary on standard output; progress and losses go to standard error."})
final class SftCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(SftCommand.class);

    @Spec
    CommandSpec spec;

    // ---------------------------------------------------------------- data

    @Option(names = "--train", paramLabel = "FILE", description = "Training questions, JSONL; each needs a gold chain.")
    Path trainFile;

    @Option(names = "--synthetic", paramLabel = "N",
            description = "Train on N generated arithmetic problems instead of --train (seeded by --seed).")
    Integer syntheticCount;

    @Option(names = "--synthetic-eval", paramLabel = "M", defaultValue = "0",
            description = "With --synthetic: also evaluate on M further problems, disjoint from the training ones "
                    + "(default: ${DEFAULT-VALUE}).")
    int syntheticEvalCount;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "auto",
            description = QuestionFileOptions.FORMAT_DESCRIPTION)
    QuestionFileOptions.Format format;

    @Option(names = "--eval", paramLabel = "FILE",
            description = "Questions whose gold-chain NLL per token is reported before and after training.")
    Path evalFile;

    @Option(names = "--separator", paramLabel = "TEXT", defaultValue = " ",
            description = "Text between prompt and gold chain; sample with a prompt ending in it "
                    + "(default: a space).")
    String separator;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Where the trained model directory is written. An existing model directory there is "
                    + "replaced; any other non-empty directory is refused.")
    Path outDir;

    // ---------------------------------------------------------------- model

    @Option(names = "--model", paramLabel = "DIR", description = "Model directory to fine-tune.")
    Path modelDir;

    @Mixin
    ModelLoadOptions loading;

    @Option(names = "--from-scratch", description = "Start from a freshly initialised model (see the options below).")
    boolean fromScratch;

    @Option(names = "--family", paramLabel = "FAMILY",
            description = "With --from-scratch: gpt2 or llama (default: gpt2).")
    String family;

    @Option(names = "--layers", paramLabel = "L", description = "With --from-scratch: transformer blocks (default: 4).")
    Integer layers;

    @Option(names = "--width", paramLabel = "C", description = "With --from-scratch: model width (default: 128).")
    Integer width;

    @Option(names = "--heads", paramLabel = "H", description = "With --from-scratch: attention heads (default: 4).")
    Integer heads;

    @Option(names = "--kv-heads", paramLabel = "H", description = "With --from-scratch and llama: key/value heads "
            + "(default: --heads).")
    Integer kvHeads;

    @Option(names = "--mlp-width", paramLabel = "M", description = "With --from-scratch: MLP hidden width "
            + "(default: 4 x --width).")
    Integer mlpWidth;

    @Option(names = "--context", paramLabel = "T", description = "With --from-scratch: context length (default: the "
            + "longest training or evaluation example (with --synthetic, the task's longest possible example) plus "
            + "--context-margin).")
    Integer contextLength;

    @Option(names = "--context-margin", paramLabel = "M", description = "With --from-scratch and no --context: "
            + "tokens of context beyond the longest example, room for sampled completions longer than the gold chains "
            + "(default: half the longest example, at least " + MIN_CONTEXT_MARGIN + ").")
    Integer contextMargin;

    // ---------------------------------------------------------------- optimisation

    @Option(names = "--steps", paramLabel = "S", description = "Optimiser steps; the examples are cycled, each pass "
            + "shuffled (default: one epoch).")
    Integer steps;

    @Option(names = "--epochs", paramLabel = "E", description = "Passes over the training examples (default: 1).")
    Integer epochs;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16",
            description = "Examples per optimiser step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--micro-batch", paramLabel = "B", description = "Examples per forward/backward pass; gradients "
            + "accumulate over a step (default: --batch).")
    Integer microBatchSize;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate (default: 1e-3 with --from-scratch, "
            + "1e-4 with --model).")
    Double learningRate;

    @Option(names = "--warmup", paramLabel = "S", description = "Linear warm-up steps (default: a tenth of the steps).")
    Integer warmupSteps;

    @Option(names = "--min-lr-ratio", paramLabel = "R", defaultValue = "0.1",
            description = "The cosine schedule ends at R x --lr; 1 keeps the rate constant (default: ${DEFAULT-VALUE}).")
    double minLrRatio;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "0.0",
            description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--max-grad-norm", paramLabel = "N", defaultValue = "1.0",
            description = "Clip the global gradient norm to N; 0 disables clipping (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seeds initialisation, shuffling and --synthetic problems (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--progress", negatable = true,
            description = "Show progress on standard error: a bar on a terminal, otherwise a log line per tenth of the "
                    + "steps and at least once a minute (default: on).")
    Boolean progress;

    private static final int DEFAULT_LAYERS = 4;
    private static final int DEFAULT_WIDTH = 128;
    private static final int DEFAULT_HEADS = 4;
    static final int MIN_CONTEXT_MARGIN = 32;

    @Override
    public Integer call() throws Exception {
        validateFlags();
        checkOutputDirectory();

        SyntheticArithmeticTask task = syntheticCount != null ? new SyntheticArithmeticTask() : null;
        List<Question> trainQuestions;
        List<Question> evalQuestions = new ArrayList<>();
        if (task != null) {
            SyntheticArithmeticTask.Split split = task.splits(syntheticCount, syntheticEvalCount, seed);
            trainQuestions = split.train();
            evalQuestions.addAll(split.test());
        } else {
            trainQuestions = load(trainFile, "--train");
        }
        if (evalFile != null) {
            evalQuestions.addAll(load(evalFile, "--eval"));
        }
        String trainSource = task != null ? "--synthetic" : trainFile.toString();
        String evalSource = evalFile != null ? evalFile.toString() : "--synthetic-eval";
        List<SftExample> train = examples(trainQuestions, trainSource);
        List<SftExample> eval = examples(evalQuestions, evalSource);
        if (train.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "no training examples");
        }

        TransformerLM model;
        Tokenizer tokenizer;
        if (fromScratch) {
            CharTokenizer chars = task != null
                    ? CharTokenizer.ofAlphabet(task.alphabet() + separator)
                    : CharTokenizer.fromCorpus(train.stream()
                            .flatMap(e -> Stream.of(e.prompt(), e.completion())).toList());
            int longest = task != null ? task.maxPromptLength() + separator.length() + task.maxCompletionLength() + 1
                    : LanguageModel.longestExample(chars, Stream.concat(train.stream(), eval.stream()).toList(),
                            trainSource);
            int context = contextLength != null ? contextLength : longest + (contextMargin != null ? contextMargin
                    : Math.max(MIN_CONTEXT_MARGIN, longest / 2));
            LOG.info("context {} tokens: the longest example is {}", context, longest);
            ModelConfig config = scratchConfig(chars.vocabSize(), context, CharTokenizer.END_OF_TEXT_ID);
            model = TransformerLM.initialize(config, seed, DataType.FLOAT);
            tokenizer = chars;
        } else {
            ModelDirectory.Loaded loaded = loading.load(modelDir);
            model = loaded.model();
            tokenizer = loaded.tokenizer();
        }
        LanguageModel lm = LanguageModel.of(model, tokenizer);
        lm.checkFits(train, trainSource);
        lm.checkFits(eval, evalSource);
        LOG.info("model: {} with {} parameters; {} training and {} evaluation examples", model.config(),
                model.parameterCount(), train.size(), eval.size());

        int stepsPerEpoch = (train.size() + batchSize - 1) / batchSize;
        List<SftExample> items = steps != null ? cycled(train, steps * batchSize) : train;
        int epochCount = steps != null ? 1 : epochs != null ? epochs : 1;
        int totalSteps = steps != null ? steps : epochCount * stepsPerEpoch;
        TrainingSettings settings = new TrainingSettings(
                learningRate != null ? learningRate : fromScratch ? 1e-3 : 1e-4,
                warmupSteps != null ? warmupSteps : totalSteps / 10,
                minLrRatio, epochCount, batchSize, microBatchSize != null ? microBatchSize : batchSize, maxGradNorm,
                AdamW.Settings.defaults().withWeightDecay(weightDecay), seed,
                progress == null || progress, 0);

        ObjectNode summary = Rpo4jCli.JSON.createObjectNode();
        summary.put("out", outDir.toString());
        summary.put("train_examples", train.size());
        summary.put("eval_examples", eval.size());
        if (!eval.isEmpty()) {
            double before = SftTrainer.evaluateNll(model, tokenizer, eval, batchSize);
            LOG.info("evaluation NLL per token before training: {}", String.format("%.4f", before));
            summary.put("eval_nll_before", before);
        }
        TrainingReport report = new SftTrainer(model, tokenizer, settings).train(items, "sft");
        List<Map<String, Double>> history = report.history();
        double firstLoss = history.get(0).get("loss");
        double lastLoss = history.get(history.size() - 1).get("loss");
        LOG.info("trained {} steps: loss {} -> {}", report.steps(), String.format("%.4f", firstLoss),
                String.format("%.4f", lastLoss));
        summary.put("steps", report.steps());
        summary.put("first_loss", firstLoss);
        summary.put("last_loss", lastLoss);
        if (!eval.isEmpty()) {
            double after = SftTrainer.evaluateNll(model, tokenizer, eval, batchSize);
            LOG.info("evaluation NLL per token after training: {}", String.format("%.4f", after));
            summary.put("eval_nll_after", after);
        }
        ModelDirectory.save(outDir, model, tokenizer);
        LOG.info("saved {}", outDir);
        spec.commandLine().getOut().println(Rpo4jCli.JSON.writeValueAsString(summary));
        spec.commandLine().getOut().flush();
        return 0;
    }

    private void validateFlags() {
        if ((trainFile == null) == (syntheticCount == null)) {
            throw new ParameterException(spec.commandLine(), "give exactly one of --train FILE or --synthetic N");
        }
        if (syntheticCount != null && syntheticCount < 1) {
            throw new ParameterException(spec.commandLine(), "--synthetic must be >= 1, got " + syntheticCount);
        }
        if (syntheticEvalCount < 0 || (syntheticEvalCount > 0 && syntheticCount == null)) {
            throw new ParameterException(spec.commandLine(), "--synthetic-eval needs --synthetic and must be >= 0");
        }
        if ((modelDir == null) == !fromScratch) {
            throw new ParameterException(spec.commandLine(), "give exactly one of --model DIR or --from-scratch");
        }
        if (!fromScratch) {
            Map<String, Object> scratchOnly = new LinkedHashMap<>();
            scratchOnly.put("--family", family);
            scratchOnly.put("--layers", layers);
            scratchOnly.put("--width", width);
            scratchOnly.put("--heads", heads);
            scratchOnly.put("--kv-heads", kvHeads);
            scratchOnly.put("--mlp-width", mlpWidth);
            scratchOnly.put("--context", contextLength);
            scratchOnly.put("--context-margin", contextMargin);
            scratchOnly.forEach((flag, value) -> {
                if (value != null) {
                    throw new ParameterException(spec.commandLine(), flag
                            + " only applies with --from-scratch; --model DIR keeps its own architecture");
                }
            });
        }
        if (steps != null && epochs != null) {
            throw new ParameterException(spec.commandLine(), "give at most one of --steps and --epochs");
        }
        if ((steps != null && steps < 1) || (epochs != null && epochs < 1)) {
            throw new ParameterException(spec.commandLine(), "--steps and --epochs must be >= 1");
        }
        if (batchSize < 1 || (microBatchSize != null && microBatchSize < 1)) {
            throw new ParameterException(spec.commandLine(), "--batch and --micro-batch must be >= 1");
        }
        if (contextMargin != null && (contextMargin < 0 || contextLength != null)) {
            throw new ParameterException(spec.commandLine(), "--context-margin must be >= 0 and cannot be combined "
                    + "with --context");
        }
        if (separator.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--separator must not be empty");
        }
    }

    /** Refuses, before any training, to replace a directory that is not a model directory. */
    private void checkOutputDirectory() throws IOException {
        if (Files.exists(outDir) && !ModelDirectory.isComplete(outDir)) {
            boolean empty = Files.isDirectory(outDir);
            if (empty) {
                try (Stream<Path> entries = Files.list(outDir)) {
                    empty = entries.findAny().isEmpty();
                }
            }
            if (!empty) {
                throw new ParameterException(spec.commandLine(), "--out " + outDir
                        + " exists and is not a model directory; refusing to replace it");
            }
        }
    }

    private ModelConfig scratchConfig(int vocab, int context, int eosId) {
        String familyName = family == null ? "gpt2" : family;
        Family chosen;
        try {
            chosen = Family.fromModelType(familyName);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--family: " + e.getMessage());
        }
        // Only these two are built from scratch here; the other families load from their checkpoints.
        if (chosen != Family.GPT2 && chosen != Family.LLAMA) {
            throw new ParameterException(spec.commandLine(), "--family: from scratch, gpt2 or llama; got " + familyName);
        }
        int c = width != null ? width : DEFAULT_WIDTH;
        int h = heads != null ? heads : DEFAULT_HEADS;
        int kv = kvHeads != null ? kvHeads : h;
        if (chosen == Family.GPT2 && kv != h) {
            throw new ParameterException(spec.commandLine(), "--kv-heads applies to llama only");
        }
        int l = layers != null ? layers : DEFAULT_LAYERS;
        int m = mlpWidth != null ? mlpWidth : 4 * c;
        try {
            return chosen == Family.GPT2
                    ? new ModelConfig(chosen, vocab, context, l, c, h, h, m, 1e-5, 10000, true, eosId)
                    : new ModelConfig(chosen, vocab, context, l, c, h, kv, m, 1e-6, 10000, false, eosId);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--from-scratch: " + e.getMessage());
        }
    }

    private List<Question> load(Path file, String flag) throws IOException {
        return QuestionFileOptions.load(file, format, flag);
    }

    private List<SftExample> examples(List<Question> questions, String source) {
        return LanguageModel.goldChainExamples(questions, PromptFormat.separator(separator), source);
    }

    /** {@code count} examples: whole passes over the examples, each in its own shuffled order. */
    private List<SftExample> cycled(List<SftExample> examples, int count) {
        Random random = new Random(seed);
        List<SftExample> out = new ArrayList<>(count);
        List<SftExample> pass = new ArrayList<>(examples);
        while (out.size() < count) {
            Collections.shuffle(pass, random);
            out.addAll(pass.subList(0, Math.min(pass.size(), count - out.size())));
        }
        return out;
    }
}
