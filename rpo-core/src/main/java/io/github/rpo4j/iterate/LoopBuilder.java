package io.github.rpo4j.iterate;

import io.github.rpo4j.data.AnswerExtractor;
import io.github.rpo4j.data.NumericAnswerExtractor;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.train.TrainingSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;

/**
 * The settings every self-improvement loop shares ({@link IterativeRpo}, {@link Rise}, {@link SCoRe}):
 * the starting model, the questions, the verifier, generation and evaluation, training, the run
 * directory and listeners. Each loop's builder adds its own method's settings. A builder only collects settings:
 * build() checks them and freezes them into immutable records ({@code LoopSettings} and the method's own), which are
 * all the built loop reads, so changing or reusing a builder after build() cannot change a built run.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class LoopBuilder<B extends LoopBuilder<B>> {

    TransformerLM model;
    Tokenizer tokenizer;
    Path modelDirectory;
    List<Question> trainQuestions;
    List<Question> evalQuestions;
    Verifier verifier;
    AnswerExtractor extractor = new NumericAnswerExtractor();
    PromptFormat format = PromptFormat.DEFAULT;
    int maxNewTokens = 128;
    TrainingSettings training = TrainingSettings.defaults(1e-5).withBatch(16, 16);
    /** Whether {@link #training(TrainingSettings)} was called: its rate then counts as set by the caller. */
    boolean trainingGiven;
    int majorityK = 8;
    double majorityTemperature = 0.8;
    long seed = 0;
    Path runDirectory;
    boolean progressBar = true;
    int sampleChunkQuestions = 32;
    int evalChunkQuestions = 64;
    SamplingBackend sampler = SamplingBackend.local();
    int samplingThreads = SamplingBackend.defaultThreads();
    /** Null: the training settings' own thread count. */
    Integer trainingThreads;
    List<IterationListener> listeners = new ArrayList<>();
    OverlongPolicy overlongPrompts = OverlongPolicy.SKIP;
    boolean acceptChangedSettings;

    LoopBuilder() {
    }

    /** The shared settings frozen by build(), and the run directory prepared for them. */
    record Frozen(LoopSettings settings, RunDirectory run) {
    }

    /**
     * The second half of every build(), after the settings were checked: loads the starting model when it was given
     * as a directory, applies the overlong-prompt policy to both question lists, prepares the run directory, and
     * freezes the shared settings into a {@link LoopSettings}; this builder's fields are left as they were. With the
     * model in memory the prompts are checked before the run directory is touched, so a rejected
     * configuration writes nothing.
     */
    Frozen freeze() throws java.io.IOException {
        TransformerLM startingModel = model;
        Tokenizer completionTokenizer = null;
        QuestionsThatFit kept = null;
        if (modelDirectory == null) {
            completionTokenizer = format.completionTokenizer(tokenizer);
            kept = checkPromptLengths(startingModel, completionTokenizer);
        }
        RunDirectory run = RunDirectory.prepare(runDirectory);
        if (modelDirectory != null) {
            io.github.rpo4j.model.ModelDirectory.Loaded loaded = io.github.rpo4j.model.ModelDirectory.load(modelDirectory);
            startingModel = loaded.model();
            // A chat template's end of turn ends the completions trained and sampled.
            completionTokenizer = format.completionTokenizer(loaded.tokenizer());
            kept = checkPromptLengths(startingModel, completionTokenizer);
        }
        List<Question> train = kept.train();
        List<Question> eval = kept.eval();
        int skipped = trainQuestions.size() - train.size() + evalQuestions.size() - eval.size();
        // The default local sampler runs on samplingThreads workers; a sampler given explicitly is used as given.
        SamplingBackend drawing = sampler == SamplingBackend.local() ? SamplingBackend.local(samplingThreads) : sampler;
        LoopSettings settings = new LoopSettings(startingModel, completionTokenizer, modelDirectory, train, eval,
                skipped, verifier, extractor, format, maxNewTokens,
                trainingThreads == null ? training : training.withThreads(trainingThreads), majorityK,
                majorityTemperature, seed,
                overlongPrompts, sampleChunkQuestions, evalChunkQuestions, drawing, progressBar, listeners,
                acceptChangedSettings);
        return new Frozen(settings, run);
    }

    /** The training and the evaluation questions whose prompts fit the model's context. */
    private record QuestionsThatFit(List<Question> train, List<Question> eval) {
    }

    /** Applies the overlong-prompt policy to both question lists, before any sampling can fail on them. */
    private QuestionsThatFit checkPromptLengths(TransformerLM m, Tokenizer t) {
        int context = m.config().contextLength();
        List<Question> train = withinContext(trainQuestions, "trainQuestions", context, t);
        List<Question> eval = withinContext(evalQuestions, "evalQuestions", context, t);
        int skipped = trainQuestions.size() - train.size() + evalQuestions.size() - eval.size();
        if (skipped > 0) {
            org.slf4j.LoggerFactory.getLogger(LoopBuilder.class).warn("skipping {} question(s) whose prompt does "
                    + "not fit the context of {} tokens ({} training, {} evaluation)", skipped,
                    context, trainQuestions.size() - train.size(), evalQuestions.size() - eval.size());
        }
        RunBookkeeping.require(!train.isEmpty(), "trainQuestions", "at least one prompt that fits the context of "
                + context + " tokens; every one is longer");
        RunBookkeeping.require(!eval.isEmpty(), "evalQuestions", "at least one prompt that fits the context of "
                + context + " tokens; every one is longer");
        warnAboutQuestions(train, eval, context, t);
        return new QuestionsThatFit(train, eval);
    }

    private List<Question> withinContext(List<Question> questions, String setting, int context, Tokenizer t) {
        List<Question> kept = new ArrayList<>();
        for (Question q : questions) {
            int length = promptLength(q, setting, t);
            // Generation needs the prompt plus at least one new token inside the context.
            if (length + 1 <= context) {
                kept.add(q);
            } else if (overlongPrompts == OverlongPolicy.ERROR) {
                throw new IllegalArgumentException(setting + ": question \"" + q.id() + "\" has a prompt of "
                        + length + " tokens, which leaves no room for a new token in the model's context of "
                        + context + " (overlongPrompts(SKIP) drops such questions)");
            }
        }
        return List.copyOf(kept);
    }

    /** This builder, typed as the concrete builder. */
    protected abstract B self();

    /** Checks the settings every loop needs; each loop's build() checks its own after these. */
    void checkCommonSettings() {
        if ((model == null) == (modelDirectory == null)) {
            throw new IllegalArgumentException("give the starting model once: either in memory (model(...)) or as a "
                    + "directory (modelDirectory(...))");
        }
        RunBookkeeping.requireGiven(trainQuestions, "trainQuestions");
        RunBookkeeping.require(!trainQuestions.isEmpty(), "trainQuestions", "a non-empty list");
        RunBookkeeping.requireGiven(evalQuestions, "evalQuestions");
        RunBookkeeping.require(!evalQuestions.isEmpty(), "evalQuestions", "a non-empty list");
        RunBookkeeping.requireGiven(verifier, "verifier");
        RunBookkeeping.requireGiven(runDirectory, "runDirectory");
        RunBookkeeping.require(maxNewTokens >= 1, "maxNewTokens", ">= 1, got " + maxNewTokens);
        RunBookkeeping.require(majorityK >= 0, "majority vote k", ">= 0, got " + majorityK);
        RunBookkeeping.require(sampleChunkQuestions >= 1, "sampleChunkQuestions", ">= 1");
        RunBookkeeping.require(samplingThreads >= 1, "samplingThreads", ">= 1, got " + samplingThreads);
        RunBookkeeping.require(trainingThreads == null || trainingThreads >= 1, "trainingThreads",
                ">= 1, got " + trainingThreads);
        Set<String> ids = new HashSet<>();
        for (Question q : trainQuestions) {
            RunBookkeeping.require(ids.add(q.id()), "trainQuestions", "unique ids; \"" + q.id() + "\" appears twice");
        }
    }

    /**
     * Tokens of a question's formatted prompt.
     *
     * @throws IllegalArgumentException if the tokenizer cannot encode it; the message names the setting (training or
     *                                  evaluation questions), the question id and the fix
     */
    private int promptLength(Question q, String setting, Tokenizer t) {
        try {
            return t.encode(format.prompt(q)).length;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + ": question \"" + q.id() + "\": its prompt cannot be encoded "
                    + "by the model's tokenizer: " + e.getMessage() + "; remove or rewrite the question, or use a "
                    + "model whose tokenizer covers this text (a character tokenizer built from all training and "
                    + "evaluation text)", e);
        }
    }

    /**
     * Warnings about settings that run but silently cost accuracy or validity: the longest prompt plus
     * {@code maxNewTokens} exceeding the context (long completions get cut and judged wrong), and questions
     * that are both trained and evaluated on (the evaluation then measures memory, not reasoning).
     */
    private void warnAboutQuestions(List<Question> train, List<Question> eval, int context, Tokenizer t) {
        int longest = 0;
        String longestId = null;
        for (List<Question> list : List.of(train, eval)) {
            for (Question q : list) {
                int length = promptLength(q, list == train ? "trainQuestions" : "evalQuestions", t);
                if (length > longest) {
                    longest = length;
                    longestId = q.id();
                }
            }
        }
        if (longest + maxNewTokens > context) {
            org.slf4j.LoggerFactory.getLogger(LoopBuilder.class).warn("maxNewTokens {} plus the longest prompt ({} "
                    + "tokens, question {}) exceeds the model's context of {}: completions of long prompts are cut "
                    + "at the context's end and usually judged wrong; lower maxNewTokens to at most {} or use a "
                    + "model with a longer context", maxNewTokens, longest, longestId, context, context - longest);
        }
        Set<String> trainIds = new HashSet<>();
        train.forEach(q -> trainIds.add(q.id()));
        List<String> shared = eval.stream().map(Question::id).filter(trainIds::contains).toList();
        if (!shared.isEmpty()) {
            org.slf4j.LoggerFactory.getLogger(LoopBuilder.class).warn("{} evaluation question id(s) are also "
                    + "training question ids (first: {}); accuracy on questions the model trains on overstates "
                    + "what it learned: evaluate on held-out questions", shared.size(), shared.get(0));
        }
    }

    /** The starting model M0 and its tokenizer, in memory. */
    public B model(TransformerLM m, Tokenizer t) {
        this.model = m;
        this.tokenizer = t;
        return self();
    }

    /** The starting model M0 from a model directory (config.json, model.safetensors, tokenizer.json). */
    public B modelDirectory(Path dir) {
        this.modelDirectory = dir;
        return self();
    }

    public B trainQuestions(List<Question> q) {
        this.trainQuestions = List.copyOf(q);
        return self();
    }

    public B evalQuestions(List<Question> q) {
        this.evalQuestions = List.copyOf(q);
        return self();
    }

    public B verifier(Verifier v) {
        this.verifier = v;
        return self();
    }

    /** Extracts a completion's answer for majority voting and the samples file (default: numeric). */
    public B answerExtractor(AnswerExtractor e) {
        this.extractor = e;
        return self();
    }

    public B promptFormat(PromptFormat f) {
        this.format = f;
        return self();
    }

    public B maxNewTokens(int n) {
        this.maxNewTokens = n;
        return self();
    }

    /** Optimiser and schedule of each iteration's training (a fresh AdamW state every iteration). */
    public B training(TrainingSettings t) {
        this.training = java.util.Objects.requireNonNull(t, "training");
        this.trainingGiven = true;
        return self();
    }

    /** Samples per evaluation question for the majority vote (0 skips it) and their temperature. */
    public B majorityVote(int k, double temperature) {
        this.majorityK = k;
        this.majorityTemperature = temperature;
        return self();
    }

    public B seed(long s) {
        this.seed = s;
        return self();
    }

    public B runDirectory(Path dir) {
        this.runDirectory = dir;
        return self();
    }

    public B progressBar(boolean show) {
        this.progressBar = show;
        return self();
    }

    /** Questions sampled together in one batch (and written to disk together). */
    public B sampleChunkQuestions(int n) {
        this.sampleChunkQuestions = n;
        return self();
    }

    /**
     * The sampler: where sampling and evaluation draw their samples (default {@link SamplingBackend#local()}, this
     * JVM); rpo-spark's {@code SparkSampling.on(sparkSession)} draws them on a Spark cluster with the same results.
     * Training stays in this JVM. Only loops that draw every sample through it accept another than the local one
     * ({@link IterativeRpo}; RISE and SCoRe refuse it at build()).
     */
    public B sampler(SamplingBackend backend) {
        this.sampler = java.util.Objects.requireNonNull(backend, "sampler");
        return self();
    }

    /**
     * Threads the local sampler draws on (default: the cores this JVM may use, {@link SamplingBackend#defaultThreads()}):
     * the sampling stage's and the evaluation's requests (chunks of questions) run that many at a time, each thread
     * with one native thread. The samples, and so the run's results, are the same for every count; 1 draws one request
     * after another on the loop's thread. Applies when the sampler is the default {@link SamplingBackend#local()}; a
     * sampler given explicitly ({@code SamplingBackend.local(n)}, a cluster's) is used as given. Every loop draws
     * all its samples through it: RISE's and SCoRe's multi-turn rollouts and self-correction evaluation too, each
     * turn's chunks of questions as requests.
     */
    public B samplingThreads(int n) {
        this.samplingThreads = n;
        return self();
    }

    /**
     * Threads each training stage runs its gradient shards and its reference scoring on (default: the training
     * settings' {@link TrainingSettings#threads()}, every core unless they say otherwise), each with one native
     * thread. The results are the same for every count: the settings' {@link TrainingSettings#gradientShards()}
     * decides the arithmetic.
     */
    public B trainingThreads(int n) {
        this.trainingThreads = n;
        return self();
    }

    /**
     * What to do with a question whose formatted prompt leaves no room for a single new token in the
     * model's context (default {@link OverlongPolicy#SKIP}: drop it, log the count, and report it in
     * every evaluation as {@code skipped_overlong_questions}).
     */
    public B overlongPrompts(OverlongPolicy policy) {
        this.overlongPrompts = java.util.Objects.requireNonNull(policy, "policy");
        return self();
    }

    /**
     * Resume a run whose config.json holds other settings (default off: such a resume is refused, naming each
     * differing setting). The new settings are written to config.json.
     */
    public B acceptChangedSettings(boolean accept) {
        this.acceptChangedSettings = accept;
        return self();
    }

    public B listener(IterationListener l) {
        this.listeners.add(l);
        return self();
    }
}
