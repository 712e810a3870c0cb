package io.github.rpo4j.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Builds preference pairs from scored samples the way iterative reasoning preference optimisation does
 * (Pang et al. 2024).
 *
 * <p>For each question:
 * <ol>
 *   <li>The winner set G<sub>w</sub> is the correct samples, in input order. With
 *       {@link Builder#includeGoldChain(boolean) includeGoldChain} on (default off) and a question that has
 *       a gold chain, the gold chain is put first in G<sub>w</sub>, so it is used whenever the question
 *       is, and it also lets a question with no correct sample take part. It is off by default because
 *       the method trains on the model's own reasoning; the gold chain is text the model did not write.</li>
 *   <li>The loser set G<sub>l</sub> is the incorrect samples, in input order.</li>
 *   <li>With {@link Builder#deduplicate(boolean) deduplicate} on (default on), a completion whose exact
 *       text already appears earlier in the same set is dropped and counted in
 *       {@link PairStats#duplicatesRemoved()}. Small models often repeat themselves, and without this the
 *       same pair could be trained on several times over while other pairs are never formed.</li>
 *   <li>If G<sub>w</sub> is empty the question is skipped (counted as "no winner"); otherwise, if
 *       G<sub>l</sub> is empty, it is skipped as "no loser".</li>
 *   <li>Otherwise exactly K pairs are formed by walking both sets together, each restarting from its
 *       start when it runs out: pair i is (G<sub>w</sub>[i mod |G<sub>w</sub>|],
 *       G<sub>l</sub>[i mod |G<sub>l</sub>|]) for i = 0..K-1. When K exceeds both set sizes, pairs
 *       repeat.</li>
 * </ol>
 *
 * <p>The output is deterministic: it depends only on the order of the inputs. Instances are immutable
 * and thread-safe.
 */
public final class PairBuilder {

    /** Pairs and counts for a set of questions. */
    public record Result(List<PreferencePair> pairs, PairStats stats) {
        /** Copies the lists, so that the value is immutable. */
        public Result {
            pairs = List.copyOf(pairs);
            Objects.requireNonNull(stats, "stats");
        }
    }

    private final int pairsPerQuestion;
    private final boolean includeGoldChain;
    private final boolean deduplicate;

    private PairBuilder(Builder builder) {
        this.pairsPerQuestion = builder.pairsPerQuestion;
        this.includeGoldChain = builder.includeGoldChain;
        this.deduplicate = builder.deduplicate;
    }

    /** A builder for K = {@code pairsPerQuestion} pairs per question; K must be positive. */
    public static Builder builder(int pairsPerQuestion) {
        return new Builder(pairsPerQuestion);
    }

    /** K. */
    public int pairsPerQuestion() {
        return pairsPerQuestion;
    }

    /** Whether gold chains join the winner set. */
    public boolean includeGoldChain() {
        return includeGoldChain;
    }

    /** Whether repeated completion texts are dropped within each set. */
    public boolean deduplicate() {
        return deduplicate;
    }

    /**
     * Pairs for one question from its samples.
     *
     * @throws IllegalArgumentException if a sample belongs to another question
     */
    public Result pairsFor(Question question, List<VerifiedSample> samples) {
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(samples, "samples");
        int[] duplicates = {0};
        List<String> winners = new ArrayList<>();
        List<String> losers = new ArrayList<>();
        Set<String> seenWinners = new LinkedHashSet<>();
        Set<String> seenLosers = new LinkedHashSet<>();
        if (includeGoldChain && question.goldChain() != null) {
            addTo(winners, seenWinners, question.goldChain(), duplicates);
        }
        for (VerifiedSample sample : samples) {
            if (!sample.questionId().equals(question.id())) {
                throw new IllegalArgumentException("sample for question '" + sample.questionId()
                        + "' given with question '" + question.id() + "'");
            }
            if (sample.correct()) {
                addTo(winners, seenWinners, sample.completion(), duplicates);
            } else {
                addTo(losers, seenLosers, sample.completion(), duplicates);
            }
        }
        if (winners.isEmpty()) {
            return new Result(List.of(), new PairStats(1, 0, 1, 0, 0, duplicates[0]));
        }
        if (losers.isEmpty()) {
            return new Result(List.of(), new PairStats(1, 0, 0, 1, 0, duplicates[0]));
        }
        List<PreferencePair> pairs = new ArrayList<>(pairsPerQuestion);
        for (int i = 0; i < pairsPerQuestion; i++) {
            pairs.add(new PreferencePair(question.id(), question.prompt(),
                    winners.get(i % winners.size()), losers.get(i % losers.size())));
        }
        return new Result(pairs, new PairStats(1, 1, 0, 0, pairs.size(), duplicates[0]));
    }

    private void addTo(List<String> set, Set<String> seen, String completion, int[] duplicates) {
        if (!deduplicate) {
            set.add(completion);
        } else if (seen.add(completion)) {
            set.add(completion);
        } else {
            duplicates[0]++;
        }
    }

    /**
     * Pairs for many questions. Samples are grouped by question id, keeping their input order within each
     * question; questions are processed, and their pairs emitted, in the order given. A question without
     * any sample counts as skipped for having no winner (unless its gold chain is included, in which case
     * it is skipped for having no loser).
     *
     * @throws IllegalArgumentException if two questions share an id or a sample names an unknown question
     */
    public Result build(Collection<Question> questions, Collection<VerifiedSample> samples) {
        Objects.requireNonNull(questions, "questions");
        Objects.requireNonNull(samples, "samples");
        Map<String, List<VerifiedSample>> samplesById = new LinkedHashMap<>();
        Map<String, Question> questionById = new HashMap<>();
        for (Question question : questions) {
            if (questionById.putIfAbsent(question.id(), question) != null) {
                throw new IllegalArgumentException("duplicate question id '" + question.id() + "'");
            }
            samplesById.put(question.id(), new ArrayList<>());
        }
        for (VerifiedSample sample : samples) {
            List<VerifiedSample> forQuestion = samplesById.get(sample.questionId());
            if (forQuestion == null) {
                throw new IllegalArgumentException("sample refers to unknown question '" + sample.questionId() + "'");
            }
            forQuestion.add(sample);
        }
        List<PreferencePair> pairs = new ArrayList<>();
        PairStats stats = PairStats.empty();
        for (Question question : questions) {
            Result result = pairsFor(question, samplesById.get(question.id()));
            pairs.addAll(result.pairs());
            stats = stats.plus(result.stats());
        }
        return new Result(pairs, stats);
    }

    /** Settings for a {@link PairBuilder}. */
    public static final class Builder {
        private final int pairsPerQuestion;
        private boolean includeGoldChain = false;
        private boolean deduplicate = true;

        private Builder(int pairsPerQuestion) {
            if (pairsPerQuestion < 1) {
                throw new IllegalArgumentException("pairsPerQuestion must be >= 1, was " + pairsPerQuestion);
            }
            this.pairsPerQuestion = pairsPerQuestion;
        }

        /** Put the question's gold chain, when it has one, first in the winner set. Default false. */
        public Builder includeGoldChain(boolean value) {
            includeGoldChain = value;
            return this;
        }

        /** Drop repeated completion texts within each set before pairing. Default true. */
        public Builder deduplicate(boolean value) {
            deduplicate = value;
            return this;
        }

        /** The configured builder. */
        public PairBuilder build() {
            return new PairBuilder(this);
        }
    }
}
