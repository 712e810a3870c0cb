package io.github.rpo4j.iterate;

import io.github.rpo4j.data.PreferencePair;
import io.github.rpo4j.losses.PreferenceLoss;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.train.PolicyLogProbs;
import io.github.rpo4j.train.PreferenceTrainer;
import io.github.rpo4j.train.SequenceBatch;
import io.github.rpo4j.train.TrainingSettings;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The summed completion log-probs of a fixed probe of (winner, loser) pairs under the model before an
 * iteration's training (M_{t-1}) and after it (M_t), under TRL's names {@code logps/chosen} and
 * {@code logps/rejected} with {@code _before} and {@code _after}. Whatever a method trains on, this shows
 * whether its winners became likelier and its losers less likely (DPO alone is known to lower both).
 * The probe is the first pair of each question, at most {@link #MAX_PAIRS}, so that it costs two forward
 * passes over a few hundred pairs.
 */
final class ProbeLogProbs {

    static final int MAX_PAIRS = 512;
    private static final int BATCH = 32;

    private final List<SequenceBatch.Sequence> chosen;
    private final List<SequenceBatch.Sequence> rejected;
    private final double chosenBefore;
    private final double rejectedBefore;

    private ProbeLogProbs(List<SequenceBatch.Sequence> chosen, List<SequenceBatch.Sequence> rejected,
                          double chosenBefore, double rejectedBefore) {
        this.chosen = chosen;
        this.rejected = rejected;
        this.chosenBefore = chosenBefore;
        this.rejectedBefore = rejectedBefore;
    }

    /**
     * Scores the probe under {@code model}; losers are cut as the preference trainer cuts them
     * ({@code rejectedStepEnd}, null for whole losers).
     */
    static ProbeLogProbs before(TransformerLM model, Tokenizer tokenizer, List<PreferencePair> pairs,
                                String rejectedStepEnd, int threads) {
        List<PreferencePair> probe = new ArrayList<>();
        for (int i : probeIndices(pairs)) {
            probe.add(pairs.get(i));
        }
        // prepare() tokenizes (cutting losers the trainer's way) and scores each pair under the model.
        return of(new PreferenceTrainer(model, tokenizer, TrainingSettings.defaults(1e-4).withBatch(BATCH, BATCH / 2)
                .withThreads(threads), PreferenceLoss.dpo(), rejectedStepEnd).prepare(probe));
    }

    /**
     * The probe taken from pairs the preference trainer has already prepared under the model before training
     * ({@code prepared.get(i)} is {@code pairs.get(i)}), so that they are not scored twice.
     */
    static ProbeLogProbs fromPrepared(List<PreferencePair> pairs, List<PreferenceTrainer.TokenizedPair> prepared) {
        List<PreferenceTrainer.TokenizedPair> probe = new ArrayList<>();
        for (int i : probeIndices(pairs)) {
            probe.add(prepared.get(i));
        }
        return of(probe);
    }

    /** The first pair of each question, at most {@link #MAX_PAIRS}. */
    private static List<Integer> probeIndices(List<PreferencePair> pairs) {
        List<Integer> indices = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < pairs.size() && indices.size() < MAX_PAIRS; i++) {
            if (seen.add(pairs.get(i).questionId())) {
                indices.add(i);
            }
        }
        return indices;
    }

    private static ProbeLogProbs of(List<PreferenceTrainer.TokenizedPair> prepared) {
        List<SequenceBatch.Sequence> chosen = new ArrayList<>();
        List<SequenceBatch.Sequence> rejected = new ArrayList<>();
        double c = 0;
        double r = 0;
        for (PreferenceTrainer.TokenizedPair p : prepared) {
            chosen.add(p.chosen());
            rejected.add(p.rejected());
            c += p.referenceChosen();
            r += p.referenceRejected();
        }
        int n = Math.max(1, prepared.size());
        return new ProbeLogProbs(chosen, rejected, c / n, r / n);
    }

    /**
     * The before and after means, scoring the probe under the trained model in chunks on {@code threads} threads (the
     * same values on any count); empty when there were no pairs.
     */
    Map<String, Object> after(TransformerLM trained, int threads) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (chosen.isEmpty()) {
            return m;
        }
        m.put("probe_pairs", chosen.size());
        m.put("logps/chosen_before", chosenBefore);
        m.put("logps/chosen_after", mean(PolicyLogProbs.evaluate(trained, chosen, BATCH, threads)));
        m.put("logps/rejected_before", rejectedBefore);
        m.put("logps/rejected_after", mean(PolicyLogProbs.evaluate(trained, rejected, BATCH, threads)));
        return m;
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return values.length == 0 ? 0 : sum / values.length;
    }
}
