package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.optim.AdamW;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.train.SftExample;
import io.github.rpo4j.train.SftTrainer;
import io.github.rpo4j.train.TrainingLoop;
import io.github.rpo4j.train.TrainingSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Makes a starting model M0 for the synthetic task from nothing: a character-level GPT-2 trained by
 * SFT on a limited set of gold chains, so that it reasons imperfectly and has room to improve from
 * its own samples.
 */
public final class StartingModel {

    /**
     * One learning-rate cycle of M0's SFT: linear warm-up, cosine decay to 10% of the peak, a fresh
     * AdamW state. Several cycles make a schedule with warm restarts (Loshchilov and Hutter 2017).
     *
     * @param epochs    passes over the gold chains
     * @param lr        peak learning rate
     * @param warmup    warm-up steps
     * @param stopAfter stop after this many steps, the schedule still spanning every epoch (0 = train to the end)
     */
    public record Cycle(int epochs, double lr, int warmup, int stopAfter) {
        public Cycle {
            if (epochs < 1 || !(lr > 0) || warmup < 0 || stopAfter < 0) {
                throw new IllegalArgumentException("invalid SFT cycle: epochs " + epochs + ", lr " + lr + ", warm-up "
                        + warmup + ", stop after " + stopAfter);
            }
        }
    }

    /**
     * @param goldChains   problems whose gold chains the model is fine-tuned on
     * @param batch        sequences per step
     * @param layers       transformer blocks
     * @param width        model width
     * @param heads        attention heads
     * @param context      context length in characters
     * @param seed         initialisation seed; cycle i (from 0) shuffles with seed + i
     * @param lossOnPrompt train on the question text as well as the chain (plain language modelling of the whole
     *                     sequence): a model this small learns to read the numbers out of the question much sooner
     * @param cycles       the learning-rate cycles, run one after another
     * @param adamW        the optimiser's settings in every cycle
     */
    public record Settings(int goldChains, int batch, int layers, int width, int heads, int context, long seed,
                           boolean lossOnPrompt, List<Cycle> cycles, AdamW.Settings adamW) {

        public Settings {
            cycles = List.copyOf(cycles);
            if (cycles.isEmpty()) {
                throw new IllegalArgumentException("M0's SFT needs at least one cycle");
            }
            Objects.requireNonNull(adamW, "adamW");
        }

        /** Settings with the training defaults' AdamW (betas 0.9 and 0.999, no weight decay). */
        public Settings(int goldChains, int batch, int layers, int width, int heads, int context, long seed,
                        boolean lossOnPrompt, List<Cycle> cycles) {
            this(goldChains, batch, layers, width, heads, context, seed, lossOnPrompt, cycles,
                    TrainingSettings.defaults(1e-3).adamW());
        }

        /**
         * The quickstart's M0: 0.83M parameters (4 layers, width 128), the gold chains of 1,000 problems, one cosine
         * cycle of 48 epochs (3,024 steps) at 2e-3 with 50 warm-up steps, AdamW with betas 0.9 / 0.95 and no weight
         * decay. M0 is trained to its plateau on these chains (greedy accuracy on the validation problems stops
         * rising by the end of the cycle, and a second cycle at 3e-4 only lowers it: docs/results.md, "The
         * starting model"), so that what the loops add comes from problems M0 has no chain for. The loops' pool
         * is the next 1,000 problems, of which only the answers are used ({@link #QUICKSTART_POOL_FROM}).
         */
        public static Settings quickstart() {
            return new Settings(1000, 16, 4, 128, 4, 224, 1, true, List.of(new Cycle(48, 2e-3, 50, 0)),
                    TrainingSettings.defaults(1e-3).adamW().withBeta2(0.95));
        }

        /**
         * The M0 the quickstart shipped before (docs/results.md, "M0 from 4,000 gold chains"): the gold chains of
         * 4,000 problems, a first cycle of 8 epochs (2,000 steps) at 2e-3 with 100 warm-up steps, then 12 epochs
         * (3,000 steps) at 3e-4 without warm-up, AdamW with betas 0.9 / 0.999. Its loops' pool starts at problem
         * 4,000.
         */
        public static Settings fourThousandGoldChains() {
            return new Settings(4000, 16, 4, 128, 4, 224, 1, true,
                    List.of(new Cycle(8, 2e-3, 100, 0), new Cycle(12, 3e-4, 0, 0)));
        }

        /** These settings with only the first {@code n} cycles. */
        public Settings firstCycles(int n) {
            return new Settings(goldChains, batch, layers, width, heads, context, seed, lossOnPrompt,
                    cycles.subList(0, n), adamW);
        }

        /** These settings with another seed and cycle list (one cycle of a longer schedule, say). */
        public Settings withSeedAndCycles(long newSeed, List<Cycle> newCycles) {
            return new Settings(goldChains, batch, layers, width, heads, context, newSeed, lossOnPrompt, newCycles,
                    adamW);
        }

        /** These settings with SFT on the gold chains of the first {@code n} training-side problems. */
        public Settings withGoldChains(int n) {
            return new Settings(n, batch, layers, width, heads, context, seed, lossOnPrompt, cycles, adamW);
        }

        /** These settings with a model of another context length (its position table has that many rows). */
        public Settings withContext(int newContext) {
            return new Settings(goldChains, batch, layers, width, heads, newContext, seed, lossOnPrompt, cycles, adamW);
        }

        /** These settings with other optimiser settings. */
        public Settings withAdamW(AdamW.Settings newAdamW) {
            return new Settings(goldChains, batch, layers, width, heads, context, seed, lossOnPrompt, cycles,
                    newAdamW);
        }

        /** The SFT settings of cycle {@code i} (from 0). */
        public TrainingSettings training(int i) {
            Cycle c = cycles.get(i);
            // One gradient shard: the arithmetic the shipped starting models were trained with, so that a run from
            // scratch reproduces them bit for bit (on one core; more shards would change the gradients' rounding).
            return TrainingSettings.defaults(c.lr()).withEpochs(c.epochs()).withBatch(batch, batch)
                    .withSchedule(c.warmup(), 0.1).withSeed(seed + i).withMaxSteps(c.stopAfter()).withAdamW(adamW)
                    .withGradientShards(1);
        }
    }

    /** The model and its tokenizer. */
    public record Made(TransformerLM model, CharTokenizer tokenizer) {
    }

    private StartingModel() {
    }

    /**
     * Problems of the quickstart's split: the training side holds M0's gold chains (the first 1,000), then the pool
     * the loops sample from (the next 1,000 by default, {@link #QUICKSTART_POOL_FROM}; up to 4,000 with a larger
     * pool), then the validation problems that settings are chosen on ({@link #QUICKSTART_VALIDATION_FROM}); the
     * 500 test problems are apart.
     */
    public static final int QUICKSTART_TRAIN = 6000;
    /** Index in the training side where the loops' pool starts (after M0's gold chains). */
    public static final int QUICKSTART_POOL_FROM = 1000;
    /** Index in the training side where the validation problems start (after the largest pool). */
    public static final int QUICKSTART_VALIDATION_FROM = 5000;
    /** Validation problems: settings (M0's stopping point, learning rates) are chosen on these, never on the test set. */
    public static final int QUICKSTART_VALIDATION = 500;
    public static final int QUICKSTART_TEST = 500;
    public static final long QUICKSTART_DATA_SEED = 7;

    /** The quickstart's data: train and test never share a prompt. */
    public static SyntheticArithmeticTask.Split quickstartSplit(SyntheticArithmeticTask task) {
        return task.splits(QUICKSTART_TRAIN, QUICKSTART_TEST, QUICKSTART_DATA_SEED);
    }

    /** The validation problems of a quickstart split: disjoint from M0's gold chains, the pool and the test set. */
    public static List<Question> quickstartValidation(SyntheticArithmeticTask.Split split) {
        return split.train().subList(QUICKSTART_VALIDATION_FROM, QUICKSTART_VALIDATION_FROM + QUICKSTART_VALIDATION);
    }

    /** A fresh model over the task's alphabet. */
    public static Made initialize(SyntheticArithmeticTask task, Settings s) {
        CharTokenizer tokenizer = CharTokenizer.ofAlphabet(task.alphabet());
        ModelConfig config = ModelConfig.gpt2(tokenizer.vocabSize(), s.context(), s.layers(), s.width(), s.heads())
                .withEosTokenId(tokenizer.eosId().getAsInt());
        return new Made(TransformerLM.initialize(config, s.seed(), DataType.FLOAT), tokenizer);
    }

    /** SFT examples from questions' gold chains in the given prompt format, scored on the chain only. */
    public static List<SftExample> goldExamples(List<Question> questions, PromptFormat format) {
        return goldExamples(questions, format, false);
    }

    /**
     * SFT examples from questions' gold chains. With {@code lossOnPrompt} every token after the first
     * is scored, the question's as well as the chain's.
     */
    public static List<SftExample> goldExamples(List<Question> questions, PromptFormat format, boolean lossOnPrompt) {
        List<SftExample> out = new ArrayList<>();
        for (Question q : questions) {
            if (q.goldChain() == null) {
                throw new IllegalArgumentException("question " + q.id() + " has no gold chain to fine-tune on");
            }
            String prompt = format.prompt(q);
            out.add(lossOnPrompt && prompt.length() > 1
                    ? new SftExample(prompt.substring(0, 1), prompt.substring(1) + q.goldChain())
                    : new SftExample(prompt, q.goldChain()));
        }
        return out;
    }

    /**
     * Gold examples as {@link #goldExamples(List, PromptFormat, boolean)}, with every other one (odd positions)
     * written as two attempts: the question, the gold chain, {@code instruction}, and the gold chain again. A model
     * fine-tuned on them learns the two-attempt format and the positions a second attempt takes, so that a
     * self-correction method starts from a model that can answer again; since both attempts are the same correct
     * chain, it never sees a wrong attempt or a correction (what to change is left to the method to learn from its
     * own samples).
     */
    public static List<SftExample> twoAttemptGoldExamples(List<Question> questions, PromptFormat format,
                                                          boolean lossOnPrompt, String instruction) {
        List<SftExample> single = goldExamples(questions, format, lossOnPrompt);
        List<SftExample> out = new ArrayList<>(single.size());
        for (int i = 0; i < single.size(); i++) {
            SftExample e = single.get(i);
            String chain = questions.get(i).goldChain();
            out.add(i % 2 == 1 ? new SftExample(e.prompt(), e.completion() + instruction + chain) : e);
        }
        return out;
    }

    /** Initialises a model and fine-tunes it on {@code trainQuestions}' gold chains. */
    public static Made train(SyntheticArithmeticTask task, List<Question> trainQuestions, Settings s,
                             TrainingLoop.StepListener listener) {
        Made made = initialize(task, s);
        train(made, trainQuestions, s, listener);
        return made;
    }

    /**
     * Fine-tunes an initialised model in place on {@code trainQuestions}' gold chains, cycle after cycle;
     * {@code listener} sees each cycle's steps counted from 1.
     */
    public static void train(Made made, List<Question> trainQuestions, Settings s, TrainingLoop.StepListener listener) {
        train(made, trainQuestions, s, null, listener);
    }

    /**
     * As {@link #train(Made, List, Settings, TrainingLoop.StepListener)}; with a non-null
     * {@code secondAttemptInstruction}, every other gold example is written as two attempts
     * ({@link #twoAttemptGoldExamples}).
     */
    public static void train(Made made, List<Question> trainQuestions, Settings s, String secondAttemptInstruction,
                             TrainingLoop.StepListener listener) {
        List<Question> gold = trainQuestions.subList(0, Math.min(s.goldChains(), trainQuestions.size()));
        List<SftExample> examples = secondAttemptInstruction == null
                ? goldExamples(gold, PromptFormat.DEFAULT, s.lossOnPrompt())
                : twoAttemptGoldExamples(gold, PromptFormat.DEFAULT, s.lossOnPrompt(), secondAttemptInstruction);
        for (int i = 0; i < s.cycles().size(); i++) {
            new SftTrainer(made.model(), made.tokenizer(), s.training(i))
                    .train(examples, "SFT M0 cycle " + (i + 1), listener);
        }
    }
}
