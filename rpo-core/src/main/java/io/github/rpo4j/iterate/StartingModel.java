package io.github.rpo4j.iterate;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.train.SftExample;
import io.github.rpo4j.train.SftTrainer;
import io.github.rpo4j.train.TrainingLoop;
import io.github.rpo4j.train.TrainingSettings;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Makes a starting model M0 for the synthetic task from nothing: a character-level GPT-2 trained by
 * SFT on a limited set of gold chains, so that it reasons imperfectly and has room to improve from
 * its own samples.
 */
public final class StartingModel {

    /**
     * @param goldChains problems whose gold chains the model is fine-tuned on
     * @param epochs     passes over them
     * @param batch      sequences per step
     * @param lr         peak learning rate (linear warm-up, cosine decay to 10%)
     * @param warmup     warm-up steps
     * @param layers     transformer blocks
     * @param width      model width
     * @param heads      attention heads
     * @param context    context length in characters
     * @param seed       initialisation, data and shuffling seed
     * @param stopAfter  stop after this many steps, the schedule still spanning every epoch (0 = train to the end)
     * @param lossOnPrompt train on the question text as well as the chain (plain language modelling of the whole
     *                   sequence): a model this small learns to read the numbers out of the question much sooner
     */
    public record Settings(int goldChains, int epochs, int batch, double lr, int warmup, int layers, int width,
                           int heads, int context, long seed, int stopAfter, boolean lossOnPrompt) {

        /** The quickstart's M0: 0.83M parameters (4 layers, width 128), 4,000 gold chains. */
        public static Settings quickstart() {
            return new Settings(4000, 8, 16, 2e-3, 100, 4, 128, 4, 224, 1, 0, true);
        }

        public Settings withEpochs(int n) {
            return new Settings(goldChains, n, batch, lr, warmup, layers, width, heads, context, seed, stopAfter,
                    lossOnPrompt);
        }

        public Settings withStopAfter(int steps) {
            return new Settings(goldChains, epochs, batch, lr, warmup, layers, width, heads, context, seed, steps,
                    lossOnPrompt);
        }

        /** The SFT settings these imply. */
        public TrainingSettings training() {
            return TrainingSettings.defaults(lr).withEpochs(epochs).withBatch(batch, batch).withSchedule(warmup, 0.1)
                    .withSeed(seed).withMaxSteps(stopAfter);
        }
    }

    /** The model and its tokenizer. */
    public record Made(TransformerLM model, CharTokenizer tokenizer) {
    }

    private StartingModel() {
    }

    /** Problems of the quickstart's split: the training side (M0's gold chains, then RPO's pool) and 500 test problems. */
    public static final int QUICKSTART_TRAIN = 6000;
    public static final int QUICKSTART_TEST = 500;
    public static final long QUICKSTART_DATA_SEED = 7;

    /** The quickstart's data: train and test never share a prompt. */
    public static SyntheticArithmeticTask.Split quickstartSplit(SyntheticArithmeticTask task) {
        return task.splits(QUICKSTART_TRAIN, QUICKSTART_TEST, QUICKSTART_DATA_SEED);
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

    /** Initialises a model and fine-tunes it on {@code trainQuestions}' gold chains. */
    public static Made train(SyntheticArithmeticTask task, List<Question> trainQuestions, Settings s,
                             TrainingLoop.StepListener listener) {
        Made made = initialize(task, s);
        train(made, trainQuestions, s, listener);
        return made;
    }

    /** Fine-tunes an initialised model in place on {@code trainQuestions}' gold chains. */
    public static void train(Made made, List<Question> trainQuestions, Settings s, TrainingLoop.StepListener listener) {
        List<SftExample> examples = goldExamples(trainQuestions.subList(0, Math.min(s.goldChains(),
                trainQuestions.size())), PromptFormat.DEFAULT, s.lossOnPrompt());
        new SftTrainer(made.model(), made.tokenizer(), s.training()).train(examples, "SFT M0", listener);
    }
}
