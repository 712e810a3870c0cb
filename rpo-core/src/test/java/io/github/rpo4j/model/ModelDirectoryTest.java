package io.github.rpo4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.io.CheckpointFormatException;
import io.github.rpo4j.model.HandWrittenCheckpoints.RawTensor;
import io.github.rpo4j.io.FloatFormats;
import io.github.rpo4j.io.SafeTensors;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.text.CharTokenizer;
import io.github.rpo4j.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ModelDirectoryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CharTokenizer TOKENIZER = CharTokenizer.ofAlphabet("0123456789+-= .abc");
    private static final int[] IDS = TOKENIZER.encode("12+3=15. abc");

    @TempDir
    Path temp;

    private static ModelConfig gpt2() {
        return ModelConfig.gpt2(TOKENIZER.vocabSize(), 16, 2, 8, 2).withEosTokenId(CharTokenizer.END_OF_TEXT_ID);
    }

    private static ModelConfig llama() {
        return ModelConfig.llama(TOKENIZER.vocabSize(), 16, 2, 8, 4, 2, 12);
    }

    /**
     * Weights with every entry random, biases and gains included, so a tensor loaded into the wrong slot or
     * not loaded at all changes the logits.
     */
    private static Map<String, INDArray> randomWeights(ModelConfig config, long seed) {
        Random random = new Random(seed);
        Map<String, INDArray> weights = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : TransformerLM.expectedShapes(config).entrySet()) {
            long[] shape = e.getValue();
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = (float) ((shape.length == 1 ? 1 : 0) + 0.3 * random.nextGaussian());
            }
            weights.put(e.getKey(), Nd4j.create(values, shape, 'c'));
        }
        return weights;
    }

    private static INDArray logits(TransformerLM model) {
        try (Tape.Scope ignored = Tape.noGrad()) {
            return model.forward(IDS, 1, IDS.length).value();
        }
    }

    private static void assertSameArray(INDArray expected, INDArray actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertEquals(0.0, diff, 1e-6, what + " differs by " + diff);
    }

    @Test
    void bothFamiliesRoundTripThroughSaveAndLoad() throws IOException {
        for (ModelConfig config : List.of(gpt2(), llama())) {
            TransformerLM model = new TransformerLM(config, randomWeights(config, 7));
            Path dir = temp.resolve(config.family().modelType());
            ModelDirectory.save(dir, model, TOKENIZER);
            assertTrue(ModelDirectory.isComplete(dir));

            ModelDirectory.Loaded loaded = ModelDirectory.load(dir);
            assertEquals(config, loaded.model().config());
            assertEquals(TOKENIZER, loaded.tokenizer());
            Map<String, INDArray> expected = model.weights();
            Map<String, INDArray> actual = loaded.model().weights();
            assertEquals(expected.keySet(), actual.keySet(), config.family() + " parameter names");
            for (String name : expected.keySet()) {
                assertSameArray(expected.get(name), actual.get(name), config.family() + " " + name);
            }
            assertSameArray(logits(model), logits(loaded.model()), config.family() + " logits");
        }
    }

    @Test
    void savingOverAnExistingDirectoryReplacesIt() throws IOException {
        Path dir = temp.resolve("model");
        ModelDirectory.save(dir, new TransformerLM(gpt2(), randomWeights(gpt2(), 1)), TOKENIZER);
        TransformerLM second = new TransformerLM(gpt2(), randomWeights(gpt2(), 2));
        ModelDirectory.save(dir, second, TOKENIZER);
        assertSameArray(logits(second), logits(ModelDirectory.load(dir).model()), "logits after overwrite");
    }

    // ------------------------------------------------------------ a directory as Hugging Face writes it

    private static ObjectNode huggingFaceGpt2Config(ModelConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("GPT2LMHeadModel");
        n.put("model_type", "gpt2");
        n.put("activation_function", "gelu_new");
        n.put("attn_pdrop", 0.1);
        n.put("bos_token_id", 0);
        n.put("eos_token_id", 0);
        n.put("embd_pdrop", 0.1);
        n.put("initializer_range", 0.02);
        n.put("layer_norm_epsilon", 1e-5);
        n.put("n_ctx", c.contextLength());
        n.put("n_embd", c.width());
        n.put("n_head", c.heads());
        n.putNull("n_inner");
        n.put("n_layer", c.layers());
        n.put("n_positions", c.contextLength());
        n.put("resid_pdrop", 0.1);
        n.put("torch_dtype", "float32");
        n.put("transformers_version", "4.40.0");
        n.put("use_cache", true);
        n.put("vocab_size", c.vocabSize());
        if (!c.tieEmbeddings()) {
            n.put("tie_word_embeddings", false);
        }
        return n;
    }

    private Path writeHuggingFaceGpt2(Path dir, ModelConfig config, Map<String, INDArray> weights) throws IOException {
        return writeHuggingFaceGpt2(dir, config, weights, true);
    }

    /** @param causalMasks whether the attn.bias buffers are the causal mask, or have one future position let through */
    private Path writeHuggingFaceGpt2(Path dir, ModelConfig config, Map<String, INDArray> weights, boolean causalMasks)
            throws IOException {
        Files.createDirectories(dir);
        List<RawTensor> tensors = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : weights.entrySet()) {
            // GPT2LMHeadModel keeps the body under "transformer." and the output head beside it.
            String name = e.getKey().equals("lm_head.weight") ? e.getKey() : "transformer." + e.getKey();
            tensors.add(new RawTensor(name, e.getValue().shape(), e.getValue().dup('c').data().asFloat()));
        }
        int t = config.contextLength();
        float[] causal = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j <= i; j++) {
                causal[i * t + j] = 1;
            }
        }
        if (!causalMasks) {
            causal[1] = 1; // position 0 may attend to position 1
        }
        for (int l = 0; l < config.layers(); l++) {
            // The attention-mask buffers older GPT2LMHeadModel versions saved along with the weights.
            tensors.add(new RawTensor("transformer.h." + l + ".attn.bias", new long[] {1, 1, t, t}, causal));
            tensors.add(new RawTensor("transformer.h." + l + ".attn.masked_bias", new long[] {}, new float[] {-1e4f}));
        }
        // Hugging Face orders the header alphabetically; the loader must not depend on the order.
        Collections.reverse(tensors);
        HandWrittenCheckpoints.writeSafetensors(dir.resolve(ModelDirectory.WEIGHTS), tensors);
        Files.writeString(dir.resolve(ModelDirectory.CONFIG), JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsString(huggingFaceGpt2Config(config)));
        TOKENIZER.save(dir);
        return dir;
    }

    @Test
    void aGpt2DirectoryWrittenAsHuggingFaceWritesItLoads() throws IOException {
        ModelConfig config = gpt2();
        Map<String, INDArray> weights = randomWeights(config, 11);
        Path dir = writeHuggingFaceGpt2(temp.resolve("hf-gpt2"), config, weights);

        ModelDirectory.Loaded loaded = ModelDirectory.load(dir);
        assertEquals(config, loaded.model().config());
        assertEquals(TOKENIZER, loaded.tokenizer());
        assertEquals(weights.keySet(), loaded.model().weights().keySet(), "prefix dropped, buffers ignored");
        TransformerLM direct = new TransformerLM(config, weights);
        assertSameArray(logits(direct), logits(loaded.model()), "logits");
    }

    @Test
    void aLlamaDirectoryWithBfloat16TensorsLoads() throws IOException {
        ModelConfig config = llama();
        Map<String, INDArray> weights = randomWeights(config, 13);
        Path dir = temp.resolve("bf16-llama");
        Files.createDirectories(dir);
        config.write(dir.resolve(ModelDirectory.CONFIG));
        SafeTensors.write(dir.resolve(ModelDirectory.WEIGHTS), weights, Map.of("format", "pt"), SafeTensors.DType.BF16);
        TOKENIZER.save(dir);
        assertEquals("BF16", SafeTensors.readHeader(dir.resolve(ModelDirectory.WEIGHTS)).tensors()
                .get("model.embed_tokens.weight").dtype().name());

        ModelDirectory.Loaded loaded = ModelDirectory.load(dir);
        assertEquals(DataType.FLOAT, loaded.model().dataType());
        Map<String, INDArray> rounded = new LinkedHashMap<>();
        weights.forEach((name, array) -> {
            float[] values = array.dup('c').data().asFloat();
            for (int i = 0; i < values.length; i++) {
                values[i] = FloatFormats.bfloat16ToFloat(FloatFormats.floatToBfloat16(values[i]));
            }
            rounded.put(name, Nd4j.create(values, array.shape(), 'c'));
        });
        for (String name : weights.keySet()) {
            assertSameArray(rounded.get(name), loaded.model().weights().get(name), name);
        }
        assertSameArray(logits(new TransformerLM(config, rounded)), logits(loaded.model()), "logits");
    }

    @Test
    void anUntiedGpt2OutputHeadIsLoadedAndUsed() throws IOException {
        ModelConfig config = gpt2().withTieEmbeddings(false);
        Map<String, INDArray> weights = randomWeights(config, 12);
        assertTrue(weights.containsKey("lm_head.weight"));
        Path dir = writeHuggingFaceGpt2(temp.resolve("untied-gpt2"), config, weights);
        TransformerLM model = ModelDirectory.load(dir).model();
        assertEquals(config, model.config());
        try (Tape.Scope ignored = Tape.noGrad()) {
            INDArray hidden = model.hidden(IDS, 1, IDS.length, null, null, null).value(); // (T, C)
            INDArray expected = hidden.mmul(weights.get("lm_head.weight").transpose()); // (T, V)
            assertSameArray(expected, logits(model), "logits through lm_head.weight");
            double tiedDiff = hidden.mmul(weights.get("wte.weight").transpose()).sub(logits(model)).amaxNumber().doubleValue();
            assertTrue(tiedDiff > 0.1, "the head must not be the embedding: " + tiedDiff);
        }
    }

    @Test
    void functionChangingGpt2FieldsAreRefusedByName() throws IOException {
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("activation_function", new Object[] {"gelu", "\"activation_function\" = \"gelu\""});
        cases.put("scale_attn_weights", new Object[] {false, "\"scale_attn_weights\" = false"});
        cases.put("scale_attn_by_inverse_layer_idx", new Object[] {true, "\"scale_attn_by_inverse_layer_idx\" = true"});
        cases.put("add_cross_attention", new Object[] {true, "\"add_cross_attention\" = true"});
        cases.put("rope_theta", new Object[] {10000.0, "[rope_theta]"});
        for (Map.Entry<String, Object[]> c : cases.entrySet()) {
            Path dir = writeHuggingFaceGpt2(temp.resolve("gpt2-" + c.getKey()), gpt2(), randomWeights(gpt2(), 5));
            ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve(ModelDirectory.CONFIG).toFile());
            config.set(c.getKey(), JSON.valueToTree(c.getValue()[0]));
            Files.writeString(dir.resolve(ModelDirectory.CONFIG), JSON.writeValueAsString(config));
            var e = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir), c.getKey());
            assertTrue(e.getMessage().contains((String) c.getValue()[1]), e.getMessage());
            assertFalse(ModelDirectory.isComplete(dir));
        }
        Path pruned = writeHuggingFaceGpt2(temp.resolve("gpt2-pruned"), gpt2(), randomWeights(gpt2(), 5));
        ObjectNode config = (ObjectNode) JSON.readTree(pruned.resolve(ModelDirectory.CONFIG).toFile());
        config.putObject("pruned_heads").putArray("0").add(1);
        Files.writeString(pruned.resolve(ModelDirectory.CONFIG), JSON.writeValueAsString(config));
        var e = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(pruned));
        assertTrue(e.getMessage().contains("\"pruned_heads\" = {\"0\":[1]}"), e.getMessage());
    }

    @Test
    void aGpt2AttentionBufferThatIsNotTheCausalMaskIsRefused() throws IOException {
        Path dir = writeHuggingFaceGpt2(temp.resolve("leaky-mask"), gpt2(), randomWeights(gpt2(), 6), false);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().contains("transformer.h.1.attn.bias") || e.getMessage().contains("transformer.h.0.attn.bias"),
                e.getMessage());
        assertTrue(e.getMessage().contains("entry [0, 1]"), e.getMessage());
    }

    // ------------------------------------------------------------ errors

    private Path savedGpt2(String name) throws IOException {
        Path dir = temp.resolve(name);
        ModelDirectory.save(dir, new TransformerLM(gpt2(), randomWeights(gpt2(), 3)), TOKENIZER);
        return dir;
    }

    @Test
    void aMissingTensorIsNamed() throws IOException {
        Map<String, INDArray> weights = randomWeights(gpt2(), 5);
        weights.remove("h.1.attn.c_proj.bias");
        Path dir = writeHuggingFaceGpt2(temp.resolve("missing"), gpt2(), weights);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().contains("h.1.attn.c_proj.bias"), e.getMessage());
        assertTrue(e.getMessage().contains(ModelDirectory.WEIGHTS), e.getMessage());
    }

    @Test
    void aTensorOfTheWrongShapeIsNamedWithBothShapes() throws IOException {
        Map<String, INDArray> weights = randomWeights(gpt2(), 5);
        weights.put("h.0.mlp.c_fc.weight", Nd4j.zeros(DataType.FLOAT, 8, 31));
        Path dir = writeHuggingFaceGpt2(temp.resolve("misshapen"), gpt2(), weights);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> ModelDirectory.load(dir));
        String message = e.getMessage();
        assertTrue(message.contains("h.0.mlp.c_fc.weight"), message);
        assertTrue(message.contains("[8, 31]") && message.contains("[8, 32]"), message);
    }

    @Test
    void aMissingConfigFieldIsNamed() throws IOException {
        Path dir = savedGpt2("no-field");
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve(ModelDirectory.CONFIG).toFile());
        config.remove("n_embd");
        Files.writeString(dir.resolve(ModelDirectory.CONFIG), JSON.writeValueAsString(config));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().contains("\"n_embd\""), e.getMessage());
        assertTrue(e.getMessage().contains(ModelDirectory.CONFIG), e.getMessage());
    }

    @Test
    void aMissingTokenizerIsReported() throws IOException {
        Path dir = savedGpt2("no-tokenizer");
        Files.delete(dir.resolve(Tokenizer.FILE_NAME));
        assertFalse(ModelDirectory.isComplete(dir));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().contains(Tokenizer.FILE_NAME), e.getMessage());
    }

    @Test
    void aMissingWeightsFileOrConfigIsReported() throws IOException {
        Path noWeights = savedGpt2("no-weights");
        Files.delete(noWeights.resolve(ModelDirectory.WEIGHTS));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ModelDirectory.load(noWeights));
        assertTrue(e.getMessage().contains(ModelDirectory.WEIGHTS), e.getMessage());

        Path noConfig = savedGpt2("no-config");
        Files.delete(noConfig.resolve(ModelDirectory.CONFIG));
        e = assertThrows(NoSuchFileException.class, () -> ModelDirectory.load(noConfig));
        assertTrue(e.getMessage().contains(ModelDirectory.CONFIG), e.getMessage());
    }
}
