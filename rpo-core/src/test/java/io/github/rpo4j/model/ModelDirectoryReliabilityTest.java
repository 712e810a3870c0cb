package io.github.rpo4j.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.io.CheckpointFormatException;
import io.github.rpo4j.text.CharTokenizer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** Damaged and contradictory model directories are named precisely and never taken for complete ones. */
class ModelDirectoryReliabilityTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final CharTokenizer tokenizer = CharTokenizer.ofAlphabet("0123456789+= ");

    @TempDir
    Path tmp;

    private Path saved(String name, ModelConfig config) throws IOException {
        Path dir = tmp.resolve(name);
        ModelDirectory.save(dir, TransformerLM.initialize(config, 1, DataType.FLOAT), tokenizer);
        assertTrue(ModelDirectory.isComplete(dir));
        return dir;
    }

    private static void editConfig(Path dir, Consumer<ObjectNode> edit) throws IOException {
        Path file = dir.resolve(ModelDirectory.CONFIG);
        ObjectNode config = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(config);
        Files.write(file, JSON.writeValueAsBytes(config));
    }

    private static void assertConfigErrorNames(Path dir, String... fragments) {
        var e = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().startsWith(dir.resolve(ModelDirectory.CONFIG).toString()), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), e.getMessage() + " does not name " + fragment);
        }
        assertFalse(ModelDirectory.isComplete(dir), "a directory with a bad config.json counts as complete");
    }

    @Test
    void contradictoryGpt2FieldsAreNamed() throws IOException {
        Path dir = saved("gpt2", ModelConfig.gpt2(tokenizer.vocabSize(), 32, 1, 16, 2));
        editConfig(dir, c -> c.put("n_head", 3));
        assertConfigErrorNames(dir, "\"n_head\" = 3", "\"n_embd\" = 16");
        editConfig(dir, c -> c.put("n_head", 2).put("n_layer", 0));
        assertConfigErrorNames(dir, "\"n_layer\"", "> 0");
        editConfig(dir, c -> c.put("n_layer", 1).put("n_positions", "many"));
        assertConfigErrorNames(dir, "\"n_positions\"", "integer");
    }

    @Test
    void contradictoryLlamaFieldsAreNamed() throws IOException {
        Path dir = saved("llama", ModelConfig.llama(tokenizer.vocabSize(), 32, 1, 16, 4, 2, 32));
        editConfig(dir, c -> c.put("num_key_value_heads", 3));
        assertConfigErrorNames(dir, "\"num_key_value_heads\" = 3", "\"num_attention_heads\" = 4");
        // Without head_dim the head width is hidden_size / num_attention_heads, which must then divide.
        editConfig(dir, c -> c.put("num_key_value_heads", 2).put("num_attention_heads", 5).remove("head_dim"));
        assertConfigErrorNames(dir, "\"num_attention_heads\" = 5", "\"hidden_size\" = 16");
        editConfig(dir, c -> c.put("num_attention_heads", 16).put("num_key_value_heads", 16));
        assertConfigErrorNames(dir, "\"hidden_size\" / \"num_attention_heads\" = 1", "even");
    }

    @Test
    void aTruncatedWeightsFileIsNamedAndNeverCountsAsComplete() throws IOException {
        Path dir = saved("truncated", ModelConfig.gpt2(tokenizer.vocabSize(), 32, 1, 16, 2));
        Path weights = dir.resolve(ModelDirectory.WEIGHTS);
        try (FileChannel channel = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 5);
        }
        assertFalse(ModelDirectory.isComplete(dir));
        var e = assertThrows(CheckpointFormatException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().startsWith(weights.toString()), e.getMessage());
    }
}
