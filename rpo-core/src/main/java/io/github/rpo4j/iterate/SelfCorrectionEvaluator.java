package io.github.rpo4j.iterate;

import io.github.rpo4j.data.AnswerExtractor;
import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.Verifier;
import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.SamplingBackend;
import io.github.rpo4j.generate.SamplingRequest;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Greedy multi-turn evaluation of a self-correcting model. Every question is answered {@code turns}
 * times; each answer after the first is conditioned on the earlier ones and the feedback turn, whatever
 * their correctness (no oracle tells the model when to stop). From that one conversation per question:
 * <ul>
 *   <li>accuracy at turn t without an oracle: the turn-t answer is taken as the model's answer;</li>
 *   <li>majority over turns: the most frequent answer among turns 1..T (ties to the earliest);</li>
 *   <li>with an oracle (p1@t): correct at some turn &lt;= t. An oracle would stop the conversation at the
 *       first correct turn; greedy decoding makes the turns before that identical to this conversation's,
 *       so the same rollout gives both.</li>
 * </ul>
 */
final class SelfCorrectionEvaluator {

    /**
     * @param correct per question, per turn (0-based): whether that turn's answer was correct
     * @param answers per question, per turn: the extracted answer, or null when none was stated
     */
    record Result(List<Question> questions, boolean[][] correct, String[][] answers) {

        int turns() {
            return correct.length == 0 ? 0 : correct[0].length;
        }

        /** Accuracy at turn 1..T without an oracle. */
        double[] accuracyPerTurn() {
            double[] acc = new double[turns()];
            for (boolean[] q : correct) {
                for (int t = 0; t < acc.length; t++) {
                    acc[t] += q[t] ? 1 : 0;
                }
            }
            for (int t = 0; t < acc.length; t++) {
                acc[t] /= Math.max(1, correct.length);
            }
            return acc;
        }

        /** Accuracy at turn 1..T with an oracle that stops at the first correct answer (p1@t). */
        double[] oracleAccuracyPerTurn() {
            double[] acc = new double[turns()];
            for (boolean[] q : correct) {
                boolean any = false;
                for (int t = 0; t < acc.length; t++) {
                    any |= q[t];
                    acc[t] += any ? 1 : 0;
                }
            }
            for (int t = 0; t < acc.length; t++) {
                acc[t] /= Math.max(1, correct.length);
            }
            return acc;
        }

        /** Accuracy of the majority answer over all turns (answers that state nothing do not vote). */
        double majorityOverTurnsAccuracy(Verifier verifier) {
            int right = 0;
            for (int i = 0; i < answers.length; i++) {
                Map<String, Integer> votes = new HashMap<>();
                String best = null;
                int bestCount = 0;
                for (String a : answers[i]) {
                    if (a == null) {
                        continue;
                    }
                    int c = votes.merge(a, 1, Integer::sum);
                    if (c > bestCount) {
                        best = a;
                        bestCount = c;
                    }
                }
                if (best != null && verifier.isCorrect(questions.get(i), "The answer is " + best + ".")) {
                    right++;
                }
            }
            return (double) right / Math.max(1, answers.length);
        }

        /** Per question, whether turn {@code turn} (1-based) was correct. */
        boolean[] correctAt(int turn) {
            boolean[] out = new boolean[correct.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = correct[i][turn - 1];
            }
            return out;
        }
    }

    private SelfCorrectionEvaluator() {
    }

    /**
     * Greedy attempts at every question over {@code turns} turns, each turn's prompt holding the question's earlier
     * attempts; each turn's chunks of {@code batchQuestions} questions are drawn through {@code backend} as requests.
     */
    static Result evaluate(SamplingBackend backend, TransformerLM model, Tokenizer tokenizer, MultiTurnPrompt prompts,
                           List<Question> questions, int turns, Verifier verifier, AnswerExtractor extractor,
                           int batchQuestions) {
        boolean[][] correct = new boolean[questions.size()][turns];
        String[][] answers = new String[questions.size()][turns];
        List<List<String>> history = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            history.add(new ArrayList<>());
        }
        SamplingSettings greedy = SamplingSettings.greedy(prompts.maxNewTokens());
        for (int t = 0; t < turns; t++) {
            List<SamplingRequest> requests = new ArrayList<>();
            for (int from = 0; from < questions.size(); from += batchQuestions) {
                List<int[]> batch = new ArrayList<>();
                for (int i = from; i < Math.min(questions.size(), from + batchQuestions); i++) {
                    batch.add(tokenizer.encode(prompts.prompt(questions.get(i), history.get(i))));
                }
                requests.add(new SamplingRequest(batch, 1, greedy));
            }
            List<List<List<Sample>>> drawn = Draws.all(backend, model, tokenizer, requests,
                    "self-correction evaluation, turn " + (t + 1));
            for (int r = 0; r < drawn.size(); r++) {
                int from = r * batchQuestions;
                for (int i = from; i < from + drawn.get(r).size(); i++) {
                    String text = drawn.get(r).get(i - from).get(0).text();
                    correct[i][t] = verifier.isCorrect(questions.get(i), text);
                    Optional<String> a = extractor.extract(text);
                    answers[i][t] = a.orElse(null);
                    history.get(i).add(text);
                }
            }
        }
        return new Result(List.copyOf(questions), correct, answers);
    }
}
