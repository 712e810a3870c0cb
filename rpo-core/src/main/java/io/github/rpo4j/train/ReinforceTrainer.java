package io.github.rpo4j.train;

import io.github.rpo4j.losses.ObjectiveResult;
import io.github.rpo4j.losses.ReinforceLoss;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.tensor.Tensor;
import io.github.rpo4j.text.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sequence-level REINFORCE over multi-attempt rollouts. A rollout is a fixed number of attempts at
 * one question (SCoRe: the first answer, then the answer after a self-correction instruction); attempt
 * j of every rollout is scored by its own {@link ReinforceLoss}, so each attempt has its own KL
 * coefficient, baseline and (for attempt j &gt; 0) SCoRe progress bonus against attempt 0's reward.
 *
 * <p>The reference log-probs are computed by {@link #withReference} from a frozen model before
 * training starts, as {@link PreferenceTrainer} does, so the reference model need not stay in memory
 * while the policy trains.
 *
 * <p>Baselines ({@link ReinforceLoss.Baseline#LEAVE_ONE_OUT}): when the rollouts carry a
 * {@link Rollout#group() group} (the question they answer), a group's rollouts always share a micro-batch
 * and each sample's baseline is the mean reward of the other samples of its question, attempt by attempt.
 * A group of one rollout is refused, since its sample would have nothing to compare with. The batch and
 * micro-batch sizes still count rollouts: a step takes {@code max(1, batchSize / g)} whole groups, g the
 * largest group's size. Without groups, the baseline is over the other samples of the micro-batch (set
 * the micro-batch equal to the batch to have it over the whole step); a sample alone in its micro-batch
 * gets no baseline.
 */
public final class ReinforceTrainer {

    /**
     * One attempt of a rollout.
     *
     * @param prompt           everything the model was conditioned on (earlier attempts included)
     * @param completion       what it wrote; the only part scored
     * @param reward           the attempt's reward
     * @param referenceLogProb log ρ(completion | prompt) under the frozen reference (NaN until computed)
     */
    public record Attempt(String prompt, String completion, double reward, double referenceLogProb) {
        public Attempt(String prompt, String completion, double reward) {
            this(prompt, completion, reward, Double.NaN);
        }
    }

    /**
     * The attempts of one rollout, in order; every rollout of a training run has the same number.
     *
     * @param group the question the rollout answers, so that the leave-one-out baseline compares it with the
     *              other rollouts of that question; null when not grouped (then all rollouts of a run must be)
     */
    public record Rollout(List<Attempt> attempts, String group) {
        public Rollout {
            attempts = List.copyOf(attempts);
            if (attempts.isEmpty()) {
                throw new IllegalArgumentException("a rollout needs at least one attempt");
            }
        }

        /** An ungrouped rollout. */
        public Rollout(List<Attempt> attempts) {
            this(attempts, null);
        }
    }

    private final TransformerLM model;
    private final Tokenizer tokenizer;
    private final TrainingSettings settings;
    private final List<ReinforceLoss> lossPerAttempt;
    private final Path checkpointDirectory;

    /**
     * @param lossPerAttempt the objective of attempt 0, 1, ...; a loss with a SCoRe bonus compares its
     *                       attempt's reward with attempt 0's
     */
    public ReinforceTrainer(TransformerLM model, Tokenizer tokenizer, TrainingSettings settings,
                            List<ReinforceLoss> lossPerAttempt) {
        if (lossPerAttempt.isEmpty()) {
            throw new IllegalArgumentException("give one loss per attempt");
        }
        if (lossPerAttempt.get(0).progressBonus() != 0) {
            throw new IllegalArgumentException("the first attempt has no earlier attempt to compare with; "
                    + "its loss must have no SCoRe bonus");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.settings = settings;
        this.lossPerAttempt = List.copyOf(lossPerAttempt);
        this.checkpointDirectory = null;
    }

    private ReinforceTrainer(ReinforceTrainer t, Path checkpointDirectory) {
        this.model = t.model;
        this.tokenizer = t.tokenizer;
        this.settings = t.settings;
        this.lossPerAttempt = t.lossPerAttempt;
        this.checkpointDirectory = checkpointDirectory;
    }

    /** This trainer, writing and resuming in-stage checkpoints in {@code directory}, as {@link SftTrainer#withCheckpoints}. */
    public ReinforceTrainer withCheckpoints(Path directory) {
        return new ReinforceTrainer(this, java.util.Objects.requireNonNull(directory, "directory"));
    }

    /** The rollouts with every attempt's log-prob under {@code reference} filled in. */
    public static List<Rollout> withReference(TransformerLM reference, Tokenizer tokenizer, List<Rollout> rollouts,
                                              int batchSize) {
        return withReference(reference, tokenizer, rollouts, batchSize, 1);
    }

    /**
     * As {@link #withReference(TransformerLM, Tokenizer, List, int)}, scoring chunks of {@code batchSize} attempts on
     * {@code threads} threads (the same log-probs on any count).
     */
    public static List<Rollout> withReference(TransformerLM reference, Tokenizer tokenizer, List<Rollout> rollouts,
                                              int batchSize, int threads) {
        List<SequenceBatch.Sequence> seqs = new ArrayList<>();
        for (Rollout r : rollouts) {
            for (Attempt a : r.attempts()) {
                seqs.add(Encoded.sequence(tokenizer, a.prompt(), a.completion()));
            }
        }
        double[] logps = PolicyLogProbs.evaluate(reference, seqs, batchSize, threads);
        List<Rollout> out = new ArrayList<>();
        int i = 0;
        for (Rollout r : rollouts) {
            List<Attempt> attempts = new ArrayList<>();
            for (Attempt a : r.attempts()) {
                attempts.add(new Attempt(a.prompt(), a.completion(), a.reward(), logps[i++]));
            }
            out.add(new Rollout(attempts, r.group()));
        }
        return out;
    }

    /** A rollout with its encoded attempts and the index of its group. */
    private record EncodedRollout(List<SequenceBatch.Sequence> sequences, Rollout rollout, int group) {
    }

    /** What the training loop batches: one rollout, or all rollouts of one group. */
    private record Item(List<EncodedRollout> rollouts) {
        int length() {
            return rollouts.stream().flatMap(r -> r.sequences().stream()).mapToInt(SequenceBatch.Sequence::length)
                    .max().orElse(0);
        }
    }

    /** Trains the model in place; every attempt must carry its reference log-prob. */
    public TrainingReport train(List<Rollout> rollouts, String label) {
        int attempts = lossPerAttempt.size();
        int context = model.config().contextLength();
        Map<String, List<EncodedRollout>> byGroup = new LinkedHashMap<>();
        Map<String, Integer> groupIndex = new HashMap<>();
        List<Item> items = new ArrayList<>();
        long grouped = rollouts.stream().filter(r -> r.group() != null).count();
        if (grouped != 0 && grouped != rollouts.size()) {
            throw new IllegalArgumentException(label + ": " + grouped + " of " + rollouts.size() + " rollouts have a "
                    + "group; give every rollout its question, or none");
        }
        for (Rollout r : rollouts) {
            if (r.attempts().size() != attempts) {
                throw new IllegalArgumentException("a rollout has " + r.attempts().size() + " attempts; the trainer "
                        + "has a loss for " + attempts);
            }
            List<SequenceBatch.Sequence> seqs = new ArrayList<>();
            for (Attempt a : r.attempts()) {
                if (Double.isNaN(a.referenceLogProb())) {
                    throw new IllegalArgumentException("an attempt has no reference log-prob; call withReference first");
                }
                seqs.add(Encoded.sequence(tokenizer, a.prompt(), a.completion()));
            }
            if (r.group() == null) {
                items.add(new Item(List.of(new EncodedRollout(seqs, r, items.size()))));
            } else {
                int index = groupIndex.computeIfAbsent(r.group(), g -> groupIndex.size());
                byGroup.computeIfAbsent(r.group(), g -> new ArrayList<>()).add(new EncodedRollout(seqs, r, index));
            }
        }
        TrainingSettings ts = settings;
        if (!byGroup.isEmpty()) {
            int largest = 0;
            for (Map.Entry<String, List<EncodedRollout>> g : byGroup.entrySet()) {
                if (g.getValue().size() < 2 && usesLeaveOneOut()) {
                    throw new IllegalArgumentException(label + ": question \"" + g.getKey() + "\" has a single rollout; "
                            + "the leave-one-out baseline needs at least 2 samples per question");
                }
                largest = Math.max(largest, g.getValue().size());
                items.add(new Item(g.getValue()));
            }
            ts = settings.withBatch(Math.max(1, settings.batchSize() / largest),
                    Math.max(1, settings.microBatchSize() / largest));
        }
        boolean ungrouped = byGroup.isEmpty();
        int shards = ts.gradientShards();
        try (TrainingThreads threads = TrainingThreads.start(ts.threads())) {
            return TrainingLoop.run(model, items, Item::length, ts, (microItems, share) -> {
                List<EncodedRollout> micro = new ArrayList<>();
                microItems.forEach(item -> micro.addAll(item.rollouts()));
                int n = micro.size();
                int[] groups = new int[n];
                for (int i = 0; i < n; i++) {
                    groups[i] = ungrouped ? 0 : micro.get(i).group();
                }
                List<SequenceBatch.Sequence> seqs = new ArrayList<>(); // rows: attempt 0 of each rollout, then attempt 1, ...
                for (int j = 0; j < attempts; j++) {
                    for (EncodedRollout item : micro) {
                        seqs.add(item.sequences().get(j));
                    }
                }
                ShardedLogProbs logps = ShardedLogProbs.forward(model, seqs, context, shards, threads);
                double[] all = logps.values(); // (attempts * n)
                int[] allLengths = logps.lengths();
                double[] grad = new double[attempts * n];
                double[] firstRewards = rewards(micro, 0);
                Map<String, Double> metrics = new LinkedHashMap<>();
                double loss = 0;
                for (int j = 0; j < attempts; j++) {
                    double[] policy = new double[n];
                    double[] reference = new double[n];
                    int[] lengths = new int[n];
                    for (int i = 0; i < n; i++) {
                        policy[i] = all[j * n + i];
                        reference[i] = micro.get(i).rollout().attempts().get(j).referenceLogProb();
                        lengths[i] = allLengths[j * n + i];
                    }
                    ReinforceLoss objective = lossPerAttempt.get(j);
                    ObjectiveResult r = objective.compute(policy, reference, rewards(micro, j),
                            j > 0 && objective.progressBonus() > 0 ? firstRewards : null, lengths, groups);
                    double[] g = r.gradient();
                    for (int i = 0; i < n; i++) {
                        grad[j * n + i] = g[i] * share;
                    }
                    loss += r.value();
                    String prefix = "attempt" + (j + 1) + "/";
                    r.metrics().forEach((k, v) -> metrics.put(prefix + k, v));
                }
                logps.backward(grad);
                Map<String, Double> out = new LinkedHashMap<>();
                out.put("loss", loss);
                out.putAll(metrics);
                return out;
            }, label, (step, metrics) -> { }, checkpointDirectory == null ? null
                    : new TrainingLoop.Checkpoints<>(checkpointDirectory, ReinforceTrainer::contentHash));
        }
    }

    private static long contentHash(Item item) {
        long h = 17;
        for (EncodedRollout r : item.rollouts()) {
            for (SequenceBatch.Sequence s : r.sequences()) {
                h = 31 * h + s.contentHash();
            }
            for (Attempt a : r.rollout().attempts()) {
                h = 31 * h + Double.hashCode(a.reward());
                h = 31 * h + Double.hashCode(a.referenceLogProb());
            }
            h = 31 * h + r.group();
        }
        return h;
    }

    private boolean usesLeaveOneOut() {
        return lossPerAttempt.stream().anyMatch(l -> l.baseline() == ReinforceLoss.Baseline.LEAVE_ONE_OUT);
    }

    private static double[] rewards(List<EncodedRollout> micro, int attempt) {
        double[] r = new double[micro.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = micro.get(i).rollout().attempts().get(attempt).reward();
        }
        return r;
    }
}
