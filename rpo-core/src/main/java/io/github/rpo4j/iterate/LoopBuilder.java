package io.github.rpo4j.iterate;

import io.github.rpo4j.data.AnswerExtractor;
import io.github.rpo4j.data.NumericAnswerExtractor;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.train.TrainingSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;

/**
 * The settings every self-improvement loop shares ({@link IterativeRpo}, {@link Rise}, {@link Score}):
 * the starting model, the questions, the verifier, generation and evaluation, training, the run
 * directory and listeners. Each loop's builder adds its own method's settings.
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
    int majorityK = 8;
    double majorityTemperature = 0.8;
    long seed = 0;
    Path runDirectory;
    boolean progressBar = true;
    int sampleChunkQuestions = 32;
    int evalChunkQuestions = 64;
    final List<IterationListener> listeners = new ArrayList<>();

    LoopBuilder() {
    }

    /** This builder, typed as the concrete builder. */
    protected abstract B self();

    /** Checks the settings every loop needs; each loop's build() checks its own after these. */
    void checkCommonSettings() {
        if ((model == null) == (modelDirectory == null)) {
            throw new IllegalArgumentException("give the starting model once: either in memory (model(...)) or as a "
                    + "directory (modelDirectory(...))");
        }
        RunBookkeeping.require(trainQuestions != null && !trainQuestions.isEmpty(), "trainQuestions", "a non-empty list");
        RunBookkeeping.require(evalQuestions != null && !evalQuestions.isEmpty(), "evalQuestions", "a non-empty list");
        RunBookkeeping.require(verifier != null, "verifier", "required");
        RunBookkeeping.require(runDirectory != null, "runDirectory", "required");
        RunBookkeeping.require(maxNewTokens >= 1, "maxNewTokens", ">= 1, got " + maxNewTokens);
        RunBookkeeping.require(majorityK >= 0, "majority vote k", ">= 0, got " + majorityK);
        RunBookkeeping.require(sampleChunkQuestions >= 1, "sampleChunkQuestions", ">= 1");
        Set<String> ids = new HashSet<>();
        for (Question q : trainQuestions) {
            RunBookkeeping.require(ids.add(q.id()), "trainQuestions", "unique ids; \"" + q.id() + "\" appears twice");
        }
    }

    /** Greedy and majority-vote accuracy of {@code m} on the evaluation questions, seeded per iteration. */
    Evaluation evaluateFirstTurn(TransformerLM m, int iteration) {
        return new Evaluator(verifier, extractor::extract, format, evalChunkQuestions)
                .evaluate(m, tokenizer, evalQuestions, maxNewTokens, majorityK, majorityTemperature,
                        seed + 1000L * iteration);
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
        this.training = t;
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

    public B listener(IterationListener l) {
        this.listeners.add(l);
        return self();
    }
}
