package io.github.rpo4j.examples;

import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/** A small iterate run's inputs: a random 1-layer model directory and question files in the generic format. */
final class IterateFixture {

    private static final CharTokenizer TOKENIZER = CharTokenizer.ofAlphabet(new SyntheticArithmeticTask().alphabet());

    private IterateFixture() {
    }

    /** A random GPT-2 of one layer, width 16, context 96, saved as a model directory under {@code dir}. */
    static Path model(Path dir) throws IOException {
        ModelConfig config = ModelConfig.gpt2(TOKENIZER.vocabSize(), 96, 1, 16, 2)
                .withEosTokenId(CharTokenizer.END_OF_TEXT_ID);
        Path model = dir.resolve("model");
        ModelDirectory.save(model, TransformerLM.initialize(config, 11, DataType.FLOAT), TOKENIZER);
        return model;
    }

    /** Four training questions with gold chains and two evaluation questions: {@code [train, eval]}. */
    static List<Path> questions(Path dir) throws IOException {
        Path train = Files.writeString(dir.resolve("train.jsonl"), """
                {"id": "t1", "prompt": "Ann has 2 pens. Ann buys 3 more.", "answer": "5", "chain": "2+3=5. The answer is 5."}
                {"id": "t2", "prompt": "Bob has 9 cards. Bob loses 4.", "answer": "5", "chain": "9-4=5. The answer is 5."}
                {"id": "t3", "prompt": "Ann has 4 pens. Ann buys 4 more.", "answer": "8", "chain": "4+4=8. The answer is 8."}
                {"id": "t4", "prompt": "Bob has 7 cards. Bob loses 1.", "answer": "6", "chain": "7-1=6. The answer is 6."}
                """);
        Path eval = Files.writeString(dir.resolve("eval.jsonl"), """
                {"id": "e1", "prompt": "Ann has 3 pens. Ann buys 3 more.", "answer": "6"}
                {"id": "e2", "prompt": "Bob has 8 cards. Bob loses 5.", "answer": "3"}
                """);
        return List.of(train, eval);
    }

    /**
     * iterate's arguments for one iteration of a small run into {@code out}, followed by {@code extra}. The gold chains
     * join the winners, so the random model's all-wrong samples still make pairs to train on.
     */
    static String[] iterate(Path model, List<Path> questions, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("iterate", "--model", model.toString(), "--questions",
                questions.get(0).toString(), "--format", "generic", "--eval-questions", questions.get(1).toString(),
                "--out", out.toString(), "--iterations", "1", "-n", "4", "-k", "2", "--temperatures", "1.5",
                "--lr", "1e-3", "--batch", "2", "--micro-batch", "2", "--max-new-tokens", "8", "--maj-k", "3",
                "--gold-chain", "--no-progress"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }
}
