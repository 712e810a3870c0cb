package io.github.rpo4j.train;

import io.github.rpo4j.losses.NllLoss;
import io.github.rpo4j.losses.NllNormalization;
import io.github.rpo4j.losses.NllWeighting;
import io.github.rpo4j.losses.ObjectiveResult;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tensor;
import io.github.rpo4j.text.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Supervised fine-tuning: next-token NLL on completion tokens only (the prompt is masked), each
 * sequence's NLL weighted by its example's weight. Used for the starting model, for SFT on correct
 * samples (STaR, ReST-EM) and, with weights exp(r / tau), for RISE's reward-weighted regression.
 */
public final class SftTrainer {

    private final TransformerLM model;
    private final Tokenizer tokenizer;
    private final TrainingSettings settings;
    private final NllNormalization normalization;
    private final NllWeighting weighting;
    private final Path checkpointDirectory;

    /**
     * @param weighting how the examples' weights enter the loss: {@link NllWeighting#UNNORMALISED} (RISE's
     *                  reward-weighted regression) or {@link NllWeighting#SELF_NORMALISED} (divided by each
     *                  micro-batch's sum of weights); with all weights 1 both are plain SFT
     */
    public SftTrainer(TransformerLM model, Tokenizer tokenizer, TrainingSettings settings, NllNormalization normalization,
                      NllWeighting weighting) {
        this(model, tokenizer, settings, normalization, weighting, null);
    }

    private SftTrainer(TransformerLM model, Tokenizer tokenizer, TrainingSettings settings,
                       NllNormalization normalization, NllWeighting weighting, Path checkpointDirectory) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.settings = settings;
        this.normalization = normalization;
        this.weighting = weighting;
        this.checkpointDirectory = checkpointDirectory;
    }

    /**
     * This trainer, writing in-stage checkpoints into {@code directory} at the settings'
     * {@link TrainingSettings#checkpointEvery()} and resuming from the one it finds there; see
     * {@link TrainingLoop#run(TransformerLM, List, java.util.function.ToIntFunction, TrainingSettings,
     * TrainingLoop.MicroBatchStep, String, TrainingLoop.StepListener, TrainingLoop.Checkpoints)}.
     */
    public SftTrainer withCheckpoints(Path directory) {
        return new SftTrainer(model, tokenizer, settings, normalization, weighting,
                java.util.Objects.requireNonNull(directory, "directory"));
    }

    /** SFT with the weights applied {@link NllWeighting#UNNORMALISED unnormalised}, as RISE's paper does. */
    public SftTrainer(TransformerLM model, Tokenizer tokenizer, TrainingSettings settings, NllNormalization normalization) {
        this(model, tokenizer, settings, normalization, NllWeighting.UNNORMALISED);
    }

    /** SFT with the (weighted) mean NLL over all completion tokens of a batch, as token-level cross-entropy. */
    public SftTrainer(TransformerLM model, Tokenizer tokenizer, TrainingSettings settings) {
        this(model, tokenizer, settings, NllNormalization.BATCH_TOKEN_MEAN);
    }

    private record Item(SequenceBatch.Sequence sequence, double weight) {
    }

    /** Trains the model in place on the examples. */
    public TrainingReport train(List<SftExample> examples, String label) {
        return train(examples, label, (step, metrics) -> { });
    }

    /** Trains the model in place, calling {@code listener} after every optimiser step. */
    public TrainingReport train(List<SftExample> examples, String label, TrainingLoop.StepListener listener) {
        List<Item> items = new ArrayList<>();
        int context = model.config().contextLength();
        for (SftExample e : examples) {
            SequenceBatch.Sequence s = Encoded.sequence(tokenizer, e.prompt(), e.completion());
            if (s.length() - 1 > context) {
                throw new IllegalArgumentException("example \"" + abbreviate(e.prompt()) + "\" has " + s.length()
                        + " tokens, more than the context length " + context);
            }
            items.add(new Item(s, e.weight()));
        }
        try (TrainingThreads threads = TrainingThreads.start(settings.threads())) {
            return TrainingLoop.run(model, items, i -> i.sequence().length(), settings, (micro, share) -> {
                List<SequenceBatch.Sequence> seqs = new ArrayList<>();
                double[] weights = new double[micro.size()];
                for (int i = 0; i < micro.size(); i++) {
                    seqs.add(micro.get(i).sequence());
                    weights[i] = micro.get(i).weight();
                }
                ShardedLogProbs logps = ShardedLogProbs.forward(model, seqs, context, settings.gradientShards(),
                        threads);
                ObjectiveResult r = NllLoss.rewardWeightedNll(logps.values(), logps.lengths(), weights,
                        normalization, weighting);
                double[] g = r.gradient();
                for (int i = 0; i < g.length; i++) {
                    g[i] *= share;
                }
                logps.backward(g);
                return new LinkedHashMap<>(r.metrics());
            }, label, listener, checkpointDirectory == null ? null : new TrainingLoop.Checkpoints<>(checkpointDirectory,
                    i -> 31 * i.sequence().contentHash() + Double.hashCode(i.weight())));
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    /** Mean per-token NLL of the completions under the model, without training. */
    public static double evaluateNll(TransformerLM model, Tokenizer tokenizer, List<SftExample> examples, int batchSize) {
        List<SequenceBatch.Sequence> seqs = new ArrayList<>();
        for (SftExample e : examples) {
            seqs.add(Encoded.sequence(tokenizer, e.prompt(), e.completion()));
        }
        double[] lp = PolicyLogProbs.evaluate(model, seqs, batchSize);
        double total = 0;
        long tokens = 0;
        for (int i = 0; i < lp.length; i++) {
            total -= lp[i];
            tokens += seqs.get(i).completion().length;
        }
        return total / Math.max(1, tokens);
    }

}
