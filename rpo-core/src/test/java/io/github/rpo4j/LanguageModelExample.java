package io.github.rpo4j;

import io.github.rpo4j.generate.Sample;
import io.github.rpo4j.generate.SamplingSettings;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.train.SftExample;
import io.github.rpo4j.train.TrainingReport;
import io.github.rpo4j.train.TrainingSettings;
import java.nio.file.Path;
import java.util.List;

/**
 * The four everyday actions of {@link LanguageModel}, end to end: fine-tune a fresh model on (prompt, completion)
 * pairs, save it as a model directory, load it back, sample from a prompt and score a text. Run with one
 * argument, the directory to save the model in.
 */
public final class LanguageModelExample {

    private LanguageModelExample() {
    }

    public static void main(String[] args) throws Exception {
        Path modelDir = Path.of(args.length > 0 ? args[0] : "example-model");

        // Supervised fine-tuning on (prompt, completion) records; any Tokenizer works, here one character per token.
        List<SftExample> examples = List.of(
                new SftExample("What is 7 times 8 plus 2? ", "7*8=56. 56+2=58. The answer is 58."),
                new SftExample("What is 6 times 3 plus 1? ", "6*3=18. 18+1=19. The answer is 19."));
        CharTokenizer tokenizer = CharTokenizer.fromCorpus(
                examples.stream().flatMap(e -> java.util.stream.Stream.of(e.prompt(), e.completion())).toList());
        // Context 96: the longest example is 61 tokens; the rest is room for longer samples.
        LanguageModel fresh = LanguageModel.initialize(ModelConfig.gpt2(tokenizer.vocabSize(), 96, 1, 32, 2),
                tokenizer, 42);
        TrainingReport report = fresh.fineTune(examples,
                TrainingSettings.defaults(3e-3).withEpochs(20).withBatch(2, 2).withProgressBar(false));
        System.out.printf("fine-tuned %d steps, loss %.3f -> %.3f%n", report.steps(),
                report.history().get(0).get("loss"), report.last().get("loss"));
        fresh.save(modelDir);

        // Load a model directory (config.json, model.safetensors, tokenizer.json).
        LanguageModel lm = LanguageModel.load(modelDir);

        // Sample N completions of a prompt.
        List<Sample> samples = lm.sample("What is 7 times 8 plus 2? ", 3, SamplingSettings.sampling(0.8, 48, 1));
        for (Sample s : samples) {
            System.out.println(s.finish() + ": " + s.text());
        }

        // Score a text given a prompt: one log-probability per token and their sum.
        LanguageModel.TextScore score = lm.score("What is 7 times 8 plus 2? ", "7*8=56. 56+2=58. The answer is 58.");
        System.out.printf("log p(text | prompt) = %.3f over %d tokens%n", score.totalLogProb(), score.scoredTokens());
    }
}
