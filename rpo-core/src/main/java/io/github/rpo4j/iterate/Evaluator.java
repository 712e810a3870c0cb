package io.github.rpo4j.iterate;

import io.github.rpo4j.data.NumericAnswerExtractor;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Measures a model on questions as the RPO paper reports it: greedy accuracy, and accuracy of the
 * majority answer over k samples (ties go to the answer that reached the top count first; samples with no
 * answer do not vote).
 *
 * <p>The majority vote is judged on a real completion: the verifier sees the first sample (in sampling
 * order) whose extracted answer is the majority answer, with its own chain, so a verifier that reads the
 * chain as well as the answer judges what the model wrote, not a sentence made up from the answer.
 */
public final class Evaluator {

    private final Verifier verifier;
    private final Function<String, Optional<String>> answerOf;
    private final PromptFormat format;
    private final int batchQuestions;

    /**
     * @param answerOf extracts the answer a completion states, for majority voting
     */
    public Evaluator(Verifier verifier, Function<String, Optional<String>> answerOf, PromptFormat format,
                     int batchQuestions) {
        this.verifier = verifier;
        this.answerOf = answerOf;
        this.format = format;
        this.batchQuestions = batchQuestions;
    }

    /** Numeric answers ("The answer is N" / "#### N"), the default prompt format, 64 questions per batch. */
    public static Evaluator numeric(Verifier verifier) {
        NumericAnswerExtractor extractor = new NumericAnswerExtractor();
        return new Evaluator(verifier, extractor::extract, PromptFormat.DEFAULT, 64);
    }

    /**
     * Draws the samples in this JVM on every core ({@link SamplingBackend#local(int)} with
     * {@link SamplingBackend#defaultThreads()}); every thread count gives the same evaluation.
     *
     * @param k           samples per question for the majority vote (0 skips it)
     * @param temperature sampling temperature for the majority vote
     */
    public Evaluation evaluate(TransformerLM model, Tokenizer tokenizer, List<Question> questions, int maxNewTokens,
                               int k, double temperature, long seed) {
        return evaluate(SamplingBackend.local(SamplingBackend.defaultThreads()), model, tokenizer, questions, maxNewTokens, k, temperature, seed);
    }

    /**
     * As {@link #evaluate(TransformerLM, Tokenizer, List, int, int, double, long)}, drawing the samples through
     * {@code backend}; every backend gives the same evaluation. Per chunk of questions there is one greedy request
     * and, with k &gt; 0, one sampling request seeded by the chunk's first question index.
     */
    public Evaluation evaluate(SamplingBackend backend, TransformerLM model, Tokenizer tokenizer,
                               List<Question> questions, int maxNewTokens, int k, double temperature, long seed) {
        List<SamplingRequest> requests = new ArrayList<>();
        List<Integer> requestFrom = new ArrayList<>(); // the first question of each request's chunk
        List<Boolean> requestIsGreedy = new ArrayList<>();
        for (int from = 0; from < questions.size(); from += batchQuestions) {
            List<Question> chunk = questions.subList(from, Math.min(questions.size(), from + batchQuestions));
            List<int[]> prompts = new ArrayList<>();
            for (Question q : chunk) {
                prompts.add(tokenizer.encode(format.prompt(q)));
            }
            requests.add(new SamplingRequest(prompts, 1, SamplingSettings.greedy(maxNewTokens)));
            requestFrom.add(from);
            requestIsGreedy.add(true);
            if (k > 0) {
                requests.add(new SamplingRequest(prompts, k,
                        SamplingSettings.sampling(temperature, maxNewTokens, seed + from)));
                requestFrom.add(from);
                requestIsGreedy.add(false);
            }
        }
        boolean[] greedy = new boolean[questions.size()];
        int[] correct = new int[2]; // greedy, majority
        try {
            backend.generate(model, tokenizer, requests, (index, drawn) -> {
                int from = requestFrom.get(index);
                for (int i = 0; i < drawn.size(); i++) {
                    Question q = questions.get(from + i);
                    if (requestIsGreedy.get(index)) {
                        greedy[from + i] = verifier.isCorrect(q, drawn.get(i).get(0).text());
                        correct[0] += greedy[from + i] ? 1 : 0;
                    } else {
                        List<String> texts = drawn.get(i).stream().map(Sample::text).toList();
                        correct[1] += majorityIsCorrect(q, texts) ? 1 : 0;
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("evaluation sampling failed: " + e.getMessage(), e);
        }
        return new Evaluation(questions.size(), correct[0], correct[1], k, greedy);
    }

    /**
     * Whether the majority vote over {@code completions} is correct: the verifier judges the first completion
     * that states the majority answer. False when no completion states an answer.
     */
    boolean majorityIsCorrect(Question question, List<String> completions) {
        return majority(completions).map(c -> verifier.isCorrect(question, c)).orElse(false);
    }

    /** The first completion stating the most frequent answer, or empty when none states one. */
    Optional<String> majority(List<String> completions) {
        Map<String, Integer> votes = new HashMap<>();
        Map<String, String> firstStating = new HashMap<>();
        String best = null;
        int bestCount = 0;
        for (String completion : completions) {
            Optional<String> a = answerOf.apply(completion);
            if (a.isEmpty()) {
                continue;
            }
            firstStating.putIfAbsent(a.get(), completion);
            int c = votes.merge(a.get(), 1, Integer::sum);
            if (c > bestCount) {
                best = a.get();
                bestCount = c;
            }
        }
        return Optional.ofNullable(best == null ? null : firstStating.get(best));
    }
}
