package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.VerifiedSample;
import io.github.rpo4j.data.StepChecker;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an iteration's samples say about the model, written into metrics.jsonl: how often a sample is right,
 * how many questions have at least one right sample, how varied the samples are, and how the winners reach
 * their answers (the gold chain itself, or sound steps at all).
 */
final class SampleDiagnostics {

    private SampleDiagnostics() {
    }

    /**
     * @param checker a process verifier, or null to leave {@code winners_all_steps_correct} out
     * @return {@code sample_accuracy}, {@code samples}, {@code pass_at_n} (questions with a correct sample),
     *         {@code distinct_samples_per_question}, {@code winners_equal_gold_chain} (correct samples identical to
     *         their question's gold chain, among questions that have one; null when none has) and
     *         {@code winners_all_steps_correct} (correct samples whose every step the checker accepts; null
     *         without a checker or without a correct sample)
     */
    static Map<String, Object> of(List<Question> questions, List<VerifiedSample> samples, StepChecker checker) {
        Map<String, Question> byId = new HashMap<>();
        questions.forEach(q -> byId.put(q.id(), q));
        Map<String, Set<String>> distinct = new LinkedHashMap<>();
        Set<String> solved = new HashSet<>();
        int correct = 0;
        int correctWithGold = 0;
        int equalGold = 0;
        int soundSteps = 0;
        for (VerifiedSample sample : samples) {
            distinct.computeIfAbsent(sample.questionId(), k -> new HashSet<>()).add(sample.completion());
            if (!sample.correct()) {
                continue;
            }
            correct++;
            solved.add(sample.questionId());
            Question q = byId.get(sample.questionId());
            if (q != null && q.goldChain() != null) {
                correctWithGold++;
                equalGold += q.goldChain().strip().equals(sample.completion().strip()) ? 1 : 0;
            }
            if (checker != null && q != null && checker.allStepsCorrect(q, sample.completion())) {
                soundSteps++;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sample_accuracy", samples.isEmpty() ? 0.0 : (double) correct / samples.size());
        m.put("samples", samples.size());
        m.put("pass_at_n", distinct.isEmpty() ? 0.0 : (double) solved.size() / distinct.size());
        m.put("distinct_samples_per_question", distinct.isEmpty() ? 0.0
                : distinct.values().stream().mapToInt(Set::size).average().orElse(0));
        m.put("winners_equal_gold_chain", correctWithGold == 0 ? null : (double) equalGold / correctWithGold);
        m.put("winners_all_steps_correct", checker == null || correct == 0 ? null : (double) soundSteps / correct);
        return m;
    }
}
