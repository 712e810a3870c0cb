package io.github.rpo4j.iterate;

import io.github.rpo4j.data.NumericAnswerExtractor;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.Sampler;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
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
     * @param k           samples per question for the majority vote (0 skips it)
     * @param temperature sampling temperature for the majority vote
     */
    public Evaluation evaluate(TransformerLM model, Tokenizer tokenizer, List<Question> questions, int maxNewTokens,
                               int k, double temperature, long seed) {
        Sampler sampler = new Sampler(model, tokenizer::decode, tokenizer.eosId().orElse(-1));
        boolean[] greedy = new boolean[questions.size()];
        int greedyCorrect = 0;
        int majorityCorrect = 0;
        for (int from = 0; from < questions.size(); from += batchQuestions) {
            List<Question> chunk = questions.subList(from, Math.min(questions.size(), from + batchQuestions));
            List<int[]> prompts = new ArrayList<>();
            for (Question q : chunk) {
                prompts.add(tokenizer.encode(format.prompt(q)));
            }
            List<List<Sample>> g = sampler.generate(prompts, 1, SamplingSettings.greedy(maxNewTokens));
            for (int i = 0; i < chunk.size(); i++) {
                greedy[from + i] = verifier.isCorrect(chunk.get(i), g.get(i).get(0).text());
                greedyCorrect += greedy[from + i] ? 1 : 0;
            }
            if (k > 0) {
                List<List<Sample>> s = sampler.generate(prompts, k,
                        SamplingSettings.sampling(temperature, maxNewTokens, seed + from));
                for (int i = 0; i < chunk.size(); i++) {
                    List<String> texts = s.get(i).stream().map(Sample::text).toList();
                    majorityCorrect += majorityIsCorrect(chunk.get(i), texts) ? 1 : 0;
                }
            }
        }
        return new Evaluation(questions.size(), greedyCorrect, majorityCorrect, k, greedy);
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
