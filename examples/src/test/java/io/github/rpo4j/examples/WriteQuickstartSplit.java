package io.github.rpo4j.examples;

import io.github.rpo4j.data.Question;
import io.github.rpo4j.data.SyntheticArithmeticTask;
import io.github.rpo4j.iterate.PromptFormat;
import io.github.rpo4j.iterate.StartingModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the quickstart's split as {@code train.jsonl} and {@code test.jsonl} ({"prompt", "chain",
 * "answer"}, the prompt already formatted) and the task's alphabet as {@code alphabet.txt}, so that a
 * peer implementation can be trained on exactly the problems M0 sees ({@code src/test/python/sft_peer.py}).
 *
 * <pre>
 * java -cp examples/target/rpo4j.jar:examples/target/test-classes \
 *     io.github.rpo4j.examples.WriteQuickstartSplit DIR
 * </pre>
 */
public final class WriteQuickstartSplit {

    private WriteQuickstartSplit() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : ".");
        Files.createDirectories(dir);
        SyntheticArithmeticTask task = new SyntheticArithmeticTask();
        SyntheticArithmeticTask.Split split = StartingModel.quickstartSplit(task);
        write(dir.resolve("train.jsonl"), split.train());
        write(dir.resolve("test.jsonl"), split.test());
        Files.writeString(dir.resolve("alphabet.txt"), task.alphabet());
    }

    private static void write(Path file, List<Question> questions) throws IOException {
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(file))) {
            for (Question q : questions) {
                Map<String, String> row = new LinkedHashMap<>();
                row.put("prompt", PromptFormat.DEFAULT.prompt(q));
                row.put("chain", q.goldChain());
                row.put("answer", q.goldAnswer());
                w.println(Rpo4jCli.JSON.writeValueAsString(row));
            }
        }
    }
}
