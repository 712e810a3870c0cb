package io.github.rpo4j.train;

import io.github.rpo4j.data.PreferencePair;
import io.github.rpo4j.losses.ObjectiveResult;
import io.github.rpo4j.losses.PreferenceBatch;
import io.github.rpo4j.losses.PreferenceLoss;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tensor;
import io.github.rpo4j.text.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trains a policy on preference pairs with any objective of {@link PreferenceLoss} (DPO, RPO =
 * DPO + NLL, IPO, ...). The reference log-probs come from the model as it is when
 * {@link #train} starts (the previous iterate M_t), computed once for all pairs before the first
 * update, so no second model is kept in memory.
 */
public final class PreferenceTrainer {

    private final TransformerLM model;
    private final Tokenizer tokenizer;
    private final TrainingSettings settings;
    private final PreferenceLoss loss;
    private final int referenceBatchSize;
    private final String rejectedStepEnd;
    private final Path checkpointDirectory;

    public PreferenceTrainer(TransformerLM model, Tokenizer tokenizer, TrainingSettings settings, PreferenceLoss loss) {
        this(model, tokenizer, settings, loss, null);
    }

    /**
     * @param rejectedStepEnd when not null, each rejected completion is scored only up to the end of the
     *                        reasoning step in which it first departs from its chosen completion: through
     *                        the first token at or after that point whose text contains this string, with
     *                        no end token (a step-level preference, as in Step-DPO, Lai et al. 2024). The
     *                        shared prefix cancels in the DPO margin anyway; what the cut removes is the rest
     *                        of the loser, whose steps after the first mistake are often sound arithmetic on
     *                        a wrong intermediate value and would otherwise be pushed down with it. A
     *                        rejected completion with no step end after that point is scored whole.
     */
    public PreferenceTrainer(TransformerLM model, Tokenizer tokenizer, TrainingSettings settings, PreferenceLoss loss,
                             String rejectedStepEnd) {
        if (rejectedStepEnd != null && rejectedStepEnd.isEmpty()) {
            throw new IllegalArgumentException("rejectedStepEnd must be null (score the whole loser) or non-empty");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.settings = settings;
        this.loss = loss;
        this.referenceBatchSize = Math.max(8, settings.microBatchSize() * 2);
        this.rejectedStepEnd = rejectedStepEnd;
        this.checkpointDirectory = null;
    }

    private PreferenceTrainer(PreferenceTrainer t, Path checkpointDirectory) {
        this.model = t.model;
        this.tokenizer = t.tokenizer;
        this.settings = t.settings;
        this.loss = t.loss;
        this.referenceBatchSize = t.referenceBatchSize;
        this.rejectedStepEnd = t.rejectedStepEnd;
        this.checkpointDirectory = checkpointDirectory;
    }

    /**
     * This trainer, writing and resuming in-stage checkpoints in {@code directory}, as
     * {@link SftTrainer#withCheckpoints}. The reference log-probs are not in the checkpoint: {@link #prepare}
     * must score the pairs under the stage's starting model, before training restores the checkpoint.
     */
    public PreferenceTrainer withCheckpoints(Path directory) {
        return new PreferenceTrainer(this, java.util.Objects.requireNonNull(directory, "directory"));
    }

    /** A pair with its token ids and reference log-probs. */
    public record TokenizedPair(SequenceBatch.Sequence chosen, SequenceBatch.Sequence rejected,
                                double referenceChosen, double referenceRejected) {
        int length() {
            return Math.max(chosen.length(), rejected.length());
        }
    }

    /** Tokenizes the pairs and scores them under the current model (the reference). */
    public List<TokenizedPair> prepare(List<PreferencePair> pairs) {
        List<SequenceBatch.Sequence> seqs = new ArrayList<>();
        for (PreferencePair p : pairs) {
            SequenceBatch.Sequence chosen = Encoded.sequence(tokenizer, p.prompt(), p.chosen());
            SequenceBatch.Sequence rejected = Encoded.sequence(tokenizer, p.prompt(), p.rejected());
            seqs.add(chosen);
            seqs.add(rejectedStepEnd == null ? rejected : cutAfterFirstDivergentStep(chosen, rejected));
        }
        double[] ref = loss.type().usesReference()
                ? PolicyLogProbs.evaluate(model, seqs, referenceBatchSize, settings.threads())
                : new double[seqs.size()];
        List<TokenizedPair> out = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            out.add(new TokenizedPair(seqs.get(2 * i), seqs.get(2 * i + 1), ref[2 * i], ref[2 * i + 1]));
        }
        return out;
    }

    /**
     * The rejected sequence through the end of the step where it first differs from the chosen one; see
     * {@link #PreferenceTrainer(TransformerLM, Tokenizer, TrainingSettings, PreferenceLoss, String)}.
     */
    SequenceBatch.Sequence cutAfterFirstDivergentStep(SequenceBatch.Sequence chosen, SequenceBatch.Sequence rejected) {
        int[] c = chosen.completion();
        int[] r = rejected.completion();
        int divergence = 0;
        while (divergence < c.length && divergence < r.length && c[divergence] == r[divergence]) {
            divergence++;
        }
        for (int i = divergence; i < r.length; i++) {
            if (tokenizer.decode(r, i, i + 1).contains(rejectedStepEnd)) {
                return i + 1 == r.length ? rejected
                        : new SequenceBatch.Sequence(rejected.prompt(), Arrays.copyOf(r, i + 1));
            }
        }
        return rejected;
    }

    /** Computes the reference log-probs, then trains the model in place. */
    public TrainingReport train(List<PreferencePair> pairs, String label) {
        return trainPrepared(prepare(pairs), label);
    }

    /** As {@link #train(List, String)}, calling {@code listener} after every optimiser step. */
    public TrainingReport train(List<PreferencePair> pairs, String label, TrainingLoop.StepListener listener) {
        return trainPrepared(prepare(pairs), label, listener);
    }

    /** Trains on pairs whose reference log-probs are already known (e.g. read back after a restart). */
    public TrainingReport trainPrepared(List<TokenizedPair> pairs, String label) {
        return trainPrepared(pairs, label, (step, metrics) -> { });
    }

    /** As {@link #trainPrepared(List, String)}, calling {@code listener} after every optimiser step. */
    public TrainingReport trainPrepared(List<TokenizedPair> pairs, String label, TrainingLoop.StepListener listener) {
        int context = model.config().contextLength();
        try (TrainingThreads threads = TrainingThreads.start(settings.threads())) {
            return TrainingLoop.run(model, pairs, TokenizedPair::length, settings, (micro, share) -> {
                int n = micro.size();
                List<SequenceBatch.Sequence> seqs = new ArrayList<>();
                double[] refChosen = new double[n];
                double[] refRejected = new double[n];
                for (int i = 0; i < n; i++) {
                    seqs.add(micro.get(i).chosen());
                    refChosen[i] = micro.get(i).referenceChosen();
                    refRejected[i] = micro.get(i).referenceRejected();
                }
                for (TokenizedPair p : micro) {
                    seqs.add(p.rejected());
                }
                // rows: n chosen, then n rejected
                ShardedLogProbs logps = ShardedLogProbs.forward(model, seqs, context, settings.gradientShards(),
                        threads);
                double[] all = logps.values();
                int[] lengths = logps.lengths();
                PreferenceBatch pb = loss.type().usesReference()
                        ? new PreferenceBatch(Arrays.copyOfRange(all, 0, n), Arrays.copyOfRange(all, n, 2 * n),
                        refChosen, refRejected, Arrays.copyOfRange(lengths, 0, n), Arrays.copyOfRange(lengths, n, 2 * n))
                        : PreferenceBatch.withoutReference(Arrays.copyOfRange(all, 0, n),
                        Arrays.copyOfRange(all, n, 2 * n), Arrays.copyOfRange(lengths, 0, n),
                        Arrays.copyOfRange(lengths, n, 2 * n));
                ObjectiveResult r = loss.compute(pb);
                double[] g = new double[2 * n];
                for (int i = 0; i < n; i++) {
                    g[i] = r.chosenGradient()[i] * share;
                    g[n + i] = r.rejectedGradient()[i] * share;
                }
                logps.backward(g);
                return new LinkedHashMap<>(r.metrics());
            }, label, listener, checkpointDirectory == null ? null : new TrainingLoop.Checkpoints<>(checkpointDirectory,
                    p -> 31 * (31 * (31 * p.chosen().contentHash() + p.rejected().contentHash())
                            + Double.hashCode(p.referenceChosen())) + Double.hashCode(p.referenceRejected())));
        }
    }
}
