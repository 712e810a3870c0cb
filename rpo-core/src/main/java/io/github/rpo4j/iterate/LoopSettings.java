package io.github.rpo4j.iterate;

import io.github.rpo4j.data.AnswerExtractor;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.train.TrainingSettings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The settings every method shares, frozen by {@link LoopBuilder}'s build(): after it has checked them, loaded the
 * starting model and applied the overlong-prompt policy. A running loop reads only this record and its method's
 * own settings record, never the builder, so later calls on the builder cannot reach a built run.
 *
 * @param model                    M0 in memory (loaded when it was given as a directory); the method trains it in
 *                                 place, after the loop has copied it into the run directory
 * @param tokenizer                M0's tokenizer, ending completions where the prompt format's turn ends
 * @param modelDirectory           where M0 was loaded from; null when it was given in memory
 * @param trainQuestions           the training questions whose prompts fit the context
 * @param evalQuestions            the evaluation questions whose prompts fit the context
 * @param skippedOverlongQuestions questions of both lists dropped by {@link OverlongPolicy#SKIP}
 * @param verifier                 judges a completion against its question
 * @param extractor                finds a completion's answer, for the majority vote and the samples file
 * @param format                   turns a question into a prompt
 * @param maxNewTokens             the most tokens a completion has
 * @param training                 optimiser and schedule of each iteration's training
 * @param majorityK                samples per evaluation question for the majority vote; 0 skips it
 * @param majorityTemperature      their sampling temperature
 * @param seed                     the run's seed; every sampling and training seed derives from it
 * @param overlongPrompts          what became of questions whose prompt leaves no room for a new token
 * @param sampleChunkQuestions     questions sampled (and written to disk) together
 * @param evalChunkQuestions       questions evaluated together
 * @param sampler                  where sampling and evaluation draw their samples (the local sampler with the
 *                                 builder's samplingThreads when none was given)
 * @param progressBar              whether training and sampling show progress
 * @param listeners                told of stages, training steps and evaluations
 * @param acceptChangedSettings    whether a resume may change the settings of the run's config.json
 */
record LoopSettings(TransformerLM model, Tokenizer tokenizer, Path modelDirectory, List<Question> trainQuestions,
                    List<Question> evalQuestions, int skippedOverlongQuestions, Verifier verifier,
                    AnswerExtractor extractor, PromptFormat format, int maxNewTokens, TrainingSettings training,
                    int majorityK, double majorityTemperature, long seed, OverlongPolicy overlongPrompts,
                    int sampleChunkQuestions, int evalChunkQuestions, SamplingBackend sampler,
                    boolean progressBar, List<IterationListener> listeners, boolean acceptChangedSettings) {

    LoopSettings {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        trainQuestions = List.copyOf(trainQuestions);
        evalQuestions = List.copyOf(evalQuestions);
        Objects.requireNonNull(verifier, "verifier");
        Objects.requireNonNull(extractor, "answerExtractor");
        Objects.requireNonNull(format, "promptFormat");
        Objects.requireNonNull(training, "training");
        Objects.requireNonNull(overlongPrompts, "overlongPrompts");
        Objects.requireNonNull(sampler, "sampler");
        listeners = List.copyOf(listeners);
    }

    /**
     * The shared settings that decide a run's results, for config.json's {@code settings} (after the method's own):
     * compared on resume. Left out: where samples are drawn, progress and listeners, which do not change what a run
     * computes; the verifier, code without a serialisable form; and the chunk sizes, which change only the seed a
     * question's samples are drawn with (sampling seeds derive from each chunk's first question).
     */
    Map<String, Object> toConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("max_new_tokens", maxNewTokens);
        c.put("training", training);
        c.put("majority_k", majorityK);
        c.put("majority_temperature", majorityTemperature);
        c.put("seed", seed);
        c.put("overlong_prompts", overlongPrompts.name());
        // The question lists as given to the run (after the overlong policy): their size and their ids' hash.
        c.put("train_questions", trainQuestions.size());
        c.put("train_question_ids_hash", trainQuestions.stream().map(Question::id).toList().hashCode());
        c.put("eval_questions", evalQuestions.size());
        c.put("eval_question_ids_hash", evalQuestions.stream().map(Question::id).toList().hashCode());
        c.put("answer_extractor", extractor.getClass().getName().contains("$$Lambda") ? "lambda"
                : extractor.getClass().getName());
        c.putAll(format.describe());
        c.put("model", model.config().toJson());
        c.put("model_directory", modelDirectory == null ? null : modelDirectory.toString());
        return c;
    }

    /** Greedy and majority-vote accuracy of {@code m} on the evaluation questions, seeded per iteration. */
    Evaluation evaluateFirstTurn(TransformerLM m, int iteration) {
        return new Evaluator(verifier, extractor::extract, format, evalChunkQuestions)
                .evaluate(sampler, m, tokenizer, evalQuestions, maxNewTokens, majorityK, majorityTemperature,
                        seed + 1000L * iteration);
    }

    /** The training settings of iteration t: the run's, with iteration t's seed and the run's progress choice. */
    TrainingSettings trainingFor(int t) {
        return training.withSeed(seed * 31 + t).withProgressBar(progressBar);
    }
}
