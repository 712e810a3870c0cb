package io.github.rpo4j;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.Sampler;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.iterate.PromptFormat;
import io.github.rpo4j.losses.TokenLogProbs;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.train.SequenceBatch;
import io.github.rpo4j.train.SftExample;
import io.github.rpo4j.train.SftTrainer;
import io.github.rpo4j.train.TrainingLoop;
import io.github.rpo4j.train.TrainingReport;
import io.github.rpo4j.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A language model and its tokenizer, with the four everyday actions: {@link #load(Path) load} a model
 * directory, {@link #sample(String, int, SamplingSettings) sample} completions of a prompt,
 * {@link #score(String, String) score} a text given a prompt, and {@link #fineTune(List, TrainingSettings)
 * fine-tune} on (prompt, completion) pairs. The model is held in memory and {@link #fineTune fineTune} changes it
 * in place; {@link #save(Path)} writes it as a model directory that {@link #load(Path)} and the loops
 * ({@code IterativeRpo.builder().modelDirectory(...)}) read.
 *
 * <pre>{@code
 * LanguageModel lm = LanguageModel.load(Path.of("my-model"));
 * List<Sample> samples = lm.sample("What is 7 times 8 plus 2? ", 4, SamplingSettings.sampling(0.8, 64, 1));
 * LanguageModel.TextScore s = lm.score("What is 7 times 8 plus 2? ", "7*8=56. 56+2=58. The answer is 58.");
 * System.out.println(s.totalLogProb());
 * }</pre>
 *
 * <p>Works with any {@link Tokenizer}: a character tokenizer built from a corpus
 * ({@code CharTokenizer.fromCorpus}) or a byte-level BPE {@code tokenizer.json}. A model is not safe to use
 * from several threads at once.
 */
public final class LanguageModel {

    static {
        Rpo4j.quietNd4jStartup(); // effective when this is the first class of a program to log
    }

    private final TransformerLM model;
    private final Tokenizer tokenizer;

    private LanguageModel(TransformerLM model, Tokenizer tokenizer) {
        this.model = Objects.requireNonNull(model, "model");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize() + " ids but the model "
                    + "only " + model.config().vocabSize());
        }
    }

    /**
     * Loads a model directory: {@code config.json}, {@code model.safetensors} and {@code tokenizer.json}, in
     * Hugging Face's layout (a GPT-2 or Llama checkpoint works as it is) or as written by {@link #save(Path)}.
     *
     * @throws IOException if a file is missing or malformed; the message names it
     */
    public static LanguageModel load(Path directory) throws IOException {
        ModelDirectory.Loaded loaded = ModelDirectory.load(directory);
        return new LanguageModel(loaded.model(), loaded.tokenizer());
    }

    /** Wraps a model already in memory with its tokenizer. */
    public static LanguageModel of(TransformerLM model, Tokenizer tokenizer) {
        return new LanguageModel(model, tokenizer);
    }

    /**
     * A freshly initialised model (float32 weights) for {@code tokenizer}: the configuration's vocabulary size
     * and end token are taken from the tokenizer, everything else (family, context, depth, width) from
     * {@code config}. Build the configuration with {@link ModelConfig#gpt2} or {@link ModelConfig#llama}; its
     * context must hold the longest prompt plus the longest completion you will sample, not only the longest
     * training example.
     */
    public static LanguageModel initialize(ModelConfig config, Tokenizer tokenizer, long seed) {
        ModelConfig fitted = config.withEndTokenIds(List.of()).withVocabSize(tokenizer.vocabSize())
                .withEosTokenId(tokenizer.eosId().orElse(-1));
        return new LanguageModel(TransformerLM.initialize(fitted, seed, DataType.FLOAT), tokenizer);
    }

    /** The transformer, for the lower-level API ({@code IterativeRpo.builder().model(lm.model(), lm.tokenizer())}). */
    public TransformerLM model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The most tokens (prompt plus completion) the model reads. */
    public int contextLength() {
        return model.config().contextLength();
    }

    /** Writes the model as a model directory, atomically per file; an existing model directory there is replaced. */
    public void save(Path directory) throws IOException {
        ModelDirectory.save(directory, model, tokenizer);
    }

    // ------------------------------------------------------------------ sampling

    /**
     * Draws {@code n} completions of {@code prompt}. A completion ends at the tokenizer's end token, at a stop
     * string of the settings, or after {@code settings.maxNewTokens()} tokens (see {@link Sample#finish()}); a
     * warning is logged when the prompt leaves less room than that in the context.
     *
     * @param prompt   the text to continue, exactly as the model was trained to see it (for a question, the
     *                 question followed by the separator, see {@link PromptFormat#prompt(Question)})
     * @param n        completions to draw, at least 1
     * @param settings temperature ({@code 0}: greedy), top-k/top-p, length limit, stop strings and seed; the same
     *                 seed gives the same completions
     * @return {@code n} completions, in order
     * @throws IllegalArgumentException if the prompt is empty, has text the tokenizer cannot encode, or leaves no
     *                                  room for a new token in the context
     */
    public List<Sample> sample(String prompt, int n, SamplingSettings settings) {
        int[] ids = encode(prompt, "prompt");
        if (ids.length == 0) {
            throw new IllegalArgumentException("prompt: must not be empty");
        }
        return new Sampler(model, tokenizer).generate(List.of(ids), n, settings).get(0);
    }

    // ------------------------------------------------------------------ scoring

    /**
     * Log-probabilities of a text's tokens given a prompt.
     *
     * @param tokenIds the text's tokens (the prompt's are not listed)
     * @param tokens   each token's surface text
     * @param logProbs natural-log probability of each token given the prompt and the text before it; {@code NaN}
     *                 for a first token that had no context (an empty prompt)
     */
    public record TextScore(int[] tokenIds, List<String> tokens, double[] logProbs) {

        public TextScore {
            tokenIds = tokenIds.clone();
            tokens = List.copyOf(tokens);
            logProbs = logProbs.clone();
        }

        /** Sum of the scored tokens' log-probabilities: the text's log-likelihood given the prompt. */
        public double totalLogProb() {
            double sum = 0;
            for (double v : logProbs) {
                if (!Double.isNaN(v)) {
                    sum += v;
                }
            }
            return sum;
        }

        /** Number of tokens that have a log-probability. */
        public int scoredTokens() {
            return (int) Arrays.stream(logProbs).filter(v -> !Double.isNaN(v)).count();
        }

        @Override
        public String toString() {
            return "TextScore" + tokens + " " + Arrays.toString(logProbs) + " total " + totalLogProb();
        }
    }

    /**
     * Scores {@code text} after {@code prompt} with one forward pass and no gradients. No beginning-of-sequence
     * token is added. With an empty prompt the first token of the text is the context of the rest and gets
     * {@code NaN}.
     *
     * @throws IllegalArgumentException if the text is empty, either part has text the tokenizer cannot encode, or
     *                                  prompt and text together do not fit the model's context
     */
    public TextScore score(String prompt, String text) {
        int[] promptIds = prompt.isEmpty() ? new int[0] : encode(prompt, "prompt");
        int[] textIds = encode(text, "text");
        if (textIds.length == 0) {
            throw new IllegalArgumentException("text: must not be empty");
        }
        int context = contextLength();
        // The last token is only predicted, never read, so a sequence may be one longer than the context.
        if (promptIds.length + textIds.length - 1 > context) {
            throw new IllegalArgumentException("prompt and text are " + promptIds.length + " + " + textIds.length
                    + " tokens; the model's context of " + context + " scores at most " + (context + 1));
        }
        double[] logProbs = scoreIds(model, promptIds, textIds);
        List<String> tokens = new ArrayList<>(textIds.length);
        for (int id : textIds) {
            tokens.add(tokenizer.tokenText(id));
        }
        return new TextScore(textIds, tokens, logProbs);
    }

    /**
     * Log-probability of each of {@code textIds} after {@code promptIds} (which may be empty: then the first text
     * token is not scored and gets {@code NaN}). One no-grad forward pass; the ids must fit the context.
     */
    public static double[] scoreIds(TransformerLM model, int[] promptIds, int[] textIds) {
        // Without a prompt, the first text token is the context of the rest and gets no score of its own.
        int[] context = promptIds.length > 0 ? promptIds : new int[] {textIds[0]};
        int[] scored = promptIds.length > 0 ? textIds : Arrays.copyOfRange(textIds, 1, textIds.length);
        double[] logProbs = new double[textIds.length];
        Arrays.fill(logProbs, Double.NaN);
        int offset = textIds.length - scored.length;
        if (scored.length > 0) {
            SequenceBatch batch = SequenceBatch.of(List.of(new SequenceBatch.Sequence(context, scored)),
                    model.config().contextLength());
            INDArray tokenLogProbs; // (1, T)
            try (Tape.Scope ignored = Tape.noGrad()) {
                INDArray logits = model.forward(batch.inputs(), batch.batch(), batch.time()).value(); // (1, T, V)
                tokenLogProbs = TokenLogProbs.forward(logits, batch.targets(), batch.completionMask()).tokenLogProbs();
            }
            // Input position t predicts token t + 1, so the first scored token is predicted at the context's end.
            for (int i = 0; i < scored.length; i++) {
                logProbs[offset + i] = tokenLogProbs.getDouble(0, context.length - 1 + i);
            }
        }
        return logProbs;
    }

    // ------------------------------------------------------------------ supervised fine-tuning

    /**
     * The SFT examples of questions with gold chains: prompt {@code format.prompt(q)}, completion the gold chain
     * (the trainer appends the end token). Use the same {@link PromptFormat} for the loops afterwards.
     *
     * @param source names the questions in errors, e.g. the file they came from
     * @throws IllegalArgumentException if a question has no gold chain; the message names its id and source
     */
    public static List<SftExample> goldChainExamples(List<Question> questions, PromptFormat format, String source) {
        List<SftExample> out = new ArrayList<>(questions.size());
        for (Question q : questions) {
            if (q.goldChain() == null || q.goldChain().isEmpty()) {
                throw new IllegalArgumentException(source + ": question '" + q.id()
                        + "' has no gold chain to train on (generic format: field \"chain\"; gsm8k: the answer "
                        + "before \"####\")");
            }
            out.add(new SftExample(format.prompt(q), q.goldChain()));
        }
        return out;
    }

    /**
     * Supervised fine-tuning in place: each example's completion (and the end token, when the tokenizer has one)
     * is trained on given its prompt, with the mean NLL per completion token of a batch. Every example is checked
     * to encode and fit the context before the first step.
     *
     * @param examples (prompt, completion) pairs, e.g. from {@link #goldChainExamples}
     * @param settings learning rate, schedule, epochs and batch size, e.g.
     *                 {@code TrainingSettings.defaults(1e-3).withEpochs(10).withProgressBar(false)}
     * @return per-step metrics ({@code loss}, {@code lr}, {@code grad_norm}, ...)
     * @throws IllegalArgumentException if an example does not encode or does not fit; the message gives its index
     */
    public TrainingReport fineTune(List<SftExample> examples, TrainingSettings settings) {
        return fineTune(examples, settings, (step, metrics) -> { });
    }

    /** As {@link #fineTune(List, TrainingSettings)}, calling {@code listener} after every optimiser step. */
    public TrainingReport fineTune(List<SftExample> examples, TrainingSettings settings,
                                   TrainingLoop.StepListener listener) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("examples: need at least one");
        }
        checkFits(examples, "examples");
        return new SftTrainer(model, tokenizer, settings).train(examples, "sft", listener);
    }

    /** Mean NLL per completion token of the examples under the model, without training. */
    public double meanNll(List<SftExample> examples) {
        checkFits(examples, "examples");
        return SftTrainer.evaluateNll(model, tokenizer, examples, 16);
    }

    /**
     * Tokens of the longest example: prompt, completion and the end token.
     *
     * @throws IllegalArgumentException if an example does not encode; the message gives its index
     */
    public static int longestExample(Tokenizer tokenizer, List<SftExample> examples, String source) {
        int longest = 0;
        for (int i = 0; i < examples.size(); i++) {
            longest = Math.max(longest, exampleLength(tokenizer, examples.get(i), source, i));
        }
        return longest;
    }

    /**
     * Checks every example encodes and fits the context (the last token is predicted, never read).
     *
     * @param source names the examples in errors, e.g. their file
     */
    public void checkFits(List<SftExample> examples, String source) {
        int context = contextLength();
        for (int i = 0; i < examples.size(); i++) {
            int length = exampleLength(tokenizer, examples.get(i), source, i);
            if (length - 1 > context) {
                throw new IllegalArgumentException(source + ": example " + (i + 1) + " is " + length
                        + " tokens, longer than the model's context of " + context + " allows");
            }
        }
    }

    private static int exampleLength(Tokenizer tokenizer, SftExample e, String source, int index) {
        try {
            return tokenizer.encode(e.prompt()).length + tokenizer.encode(e.completion()).length + 1;
        } catch (IllegalArgumentException failure) {
            throw new IllegalArgumentException(source + ": example " + (index + 1) + ": " + failure.getMessage(),
                    failure);
        }
    }

    private int[] encode(String text, String what) {
        try {
            return tokenizer.encode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }
}
