package io.github.rpo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.io.CheckpointFormatException;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.text.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints written as Hugging Face writes them, with the config.json fields that change what a Llama
 * computes: each either loads into the function its config defines, checked against {@link ReferenceLlama},
 * an independent forward, or is refused with an error naming the field or tensor.
 */
class CheckpointFidelityTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CharTokenizer TOKENIZER = CharTokenizer.ofAlphabet("0123456789+-= .abcdefghij");
    /** Long enough that the slow rotary frequencies, which llama3 and linear scaling change, turn visibly. */
    private static final int[] IDS = TOKENIZER.encode("12+30=42. abc 7-5=2. def 9+9=18. ghij 6+1=7. 1+1=2");
    /** float32 weights and activations against the double reference. */
    private static final double TOLERANCE = 1e-4;

    @TempDir
    Path temp;

    /**
     * A small Llama config.json with every field Hugging Face writes: head width 32 / 4 = 8 and rope_theta
     * 100, so that the four rotary wavelengths (6.3, 20, 63, 199 positions) fall in each of llama3's bands
     * for an original context of 64.
     */
    static ObjectNode llamaConfig() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("LlamaForCausalLM");
        n.put("attention_bias", false);
        n.put("attention_dropout", 0.0);
        n.put("bos_token_id", 1);
        n.put("eos_token_id", 0);
        n.put("hidden_act", "silu");
        n.put("hidden_size", 32);
        n.put("initializer_range", 0.02);
        n.put("intermediate_size", 48);
        n.put("max_position_embeddings", 256);
        n.put("mlp_bias", false);
        n.put("model_type", "llama");
        n.put("num_attention_heads", 4);
        n.put("num_hidden_layers", 2);
        n.put("num_key_value_heads", 2);
        n.put("pretraining_tp", 1);
        n.put("rms_norm_eps", 1e-5);
        n.putNull("rope_scaling");
        n.put("rope_theta", 100.0);
        n.put("tie_word_embeddings", false);
        n.put("torch_dtype", "float32");
        n.put("transformers_version", "4.45.0");
        n.put("use_cache", true);
        n.put("vocab_size", TOKENIZER.vocabSize());
        return n;
    }

    /** Tensor shapes by Hugging Face name, worked out from config.json as LlamaForCausalLM builds its layers. */
    static Map<String, long[]> huggingFaceShapes(ObjectNode c) {
        long hidden = c.get("hidden_size").asLong();
        long heads = c.get("num_attention_heads").asLong();
        long headDim = c.hasNonNull("head_dim") ? c.get("head_dim").asLong() : hidden / heads;
        long q = heads * headDim;
        long kv = c.get("num_key_value_heads").asLong() * headDim;
        long inner = c.get("intermediate_size").asLong();
        boolean attentionBias = c.get("attention_bias").asBoolean();
        boolean mlpBias = c.get("mlp_bias").asBoolean();
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("model.embed_tokens.weight", new long[] {c.get("vocab_size").asLong(), hidden});
        for (int l = 0; l < c.get("num_hidden_layers").asInt(); l++) {
            String p = "model.layers." + l + ".";
            s.put(p + "input_layernorm.weight", new long[] {hidden});
            linear(s, p + "self_attn.q_proj", q, hidden, attentionBias);
            linear(s, p + "self_attn.k_proj", kv, hidden, attentionBias);
            linear(s, p + "self_attn.v_proj", kv, hidden, attentionBias);
            linear(s, p + "self_attn.o_proj", hidden, q, attentionBias);
            s.put(p + "post_attention_layernorm.weight", new long[] {hidden});
            linear(s, p + "mlp.gate_proj", inner, hidden, mlpBias);
            linear(s, p + "mlp.up_proj", inner, hidden, mlpBias);
            linear(s, p + "mlp.down_proj", hidden, inner, mlpBias);
        }
        s.put("model.norm.weight", new long[] {hidden});
        if (!c.get("tie_word_embeddings").asBoolean()) {
            s.put("lm_head.weight", new long[] {c.get("vocab_size").asLong(), hidden});
        }
        return s;
    }

    private static void linear(Map<String, long[]> s, String name, long out, long in, boolean bias) {
        s.put(name + ".weight", new long[] {out, in});
        if (bias) {
            s.put(name + ".bias", new long[] {out});
        }
    }

    /** Random values for every shape: gains near 1, everything else (biases included) N(0, 0.3^2). */
    static Map<String, float[]> randomValues(Map<String, long[]> shapes, long seed) {
        Random random = new Random(seed);
        Map<String, float[]> values = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            float[] v = new float[n];
            boolean gain = name.endsWith("norm.weight");
            for (int i = 0; i < n; i++) {
                v[i] = (float) ((gain ? 1 : 0) + 0.3 * random.nextGaussian());
            }
            values.put(name, v);
        });
        return values;
    }

    private Path write(String name, ObjectNode config, Map<String, float[]> values, Map<String, long[]> shapes)
            throws IOException {
        Path dir = temp.resolve(name);
        Files.createDirectories(dir);
        HandWrittenCheckpoints.writeJson(dir.resolve(ModelDirectory.CONFIG), config);
        HandWrittenCheckpoints.writeSafetensors(dir.resolve(ModelDirectory.WEIGHTS),
                HandWrittenCheckpoints.rawTensors(values, shapes));
        TOKENIZER.save(dir);
        return dir;
    }

    /** A directory whose tensors fit its config.json. */
    private Path write(String name, ObjectNode config) throws IOException {
        Map<String, long[]> shapes = huggingFaceShapes(config);
        return write(name, config, randomValues(shapes, 17), shapes);
    }

    private static double[][] modelLogProbs(TransformerLM model) {
        try (Tape.Scope ignored = Tape.noGrad()) {
            return LogProbRows.of(model.forward(IDS, 1, IDS.length).value()); // (T, V)
        }
    }

    /**
     * Loads a checkpoint with {@code feature} applied to the base config and compares its log-probabilities
     * with the reference's. When {@code featureOff} is given, the reference without the feature must differ
     * by more than 0.05 nats somewhere, so the comparison would catch the feature being ignored.
     */
    private void assertMatchesReference(String name, Consumer<ObjectNode> feature, Consumer<ObjectNode> featureOff)
            throws IOException {
        ObjectNode config = llamaConfig();
        feature.accept(config);
        Map<String, long[]> shapes = huggingFaceShapes(config);
        Map<String, float[]> values = randomValues(shapes, 23);
        Path dir = write(name, config, values, shapes);

        double[][] reference = new ReferenceLlama(config, values).logProbs(IDS);
        double[][] loaded = modelLogProbs(ModelDirectory.load(dir).model());
        double diff = LogProbRows.maxDifference(reference, loaded);
        assertTrue(diff < TOLERANCE, name + ": log-probabilities differ from the reference by " + diff);

        if (featureOff != null) {
            ObjectNode without = config.deepCopy();
            featureOff.accept(without);
            double effect = LogProbRows.maxDifference(reference, new ReferenceLlama(without, values).logProbs(IDS));
            assertTrue(effect > 0.05, name + " changes the log-probabilities by only " + effect);
        }
    }

    // ------------------------------------------------------------ implemented fields, against the reference

    @Test
    void theBaseLlamaMatchesTheReference() throws IOException {
        assertMatchesReference("base", c -> { }, null);
    }

    @Test
    void llama3RopeScalingMatchesTheReference() throws IOException {
        assertMatchesReference("llama3", c -> {
            ObjectNode s = c.putObject("rope_scaling");
            s.put("factor", 8.0);
            s.put("high_freq_factor", 4.0);
            s.put("low_freq_factor", 1.0);
            s.put("original_max_position_embeddings", 64);
            s.put("rope_type", "llama3");
        }, c -> c.putNull("rope_scaling"));
    }

    @Test
    void linearRopeScalingUnderItsOlderKeyMatchesTheReference() throws IOException {
        assertMatchesReference("linear", c -> c.putObject("rope_scaling").put("type", "linear").put("factor", 4.0),
                c -> c.putNull("rope_scaling"));
    }

    @Test
    void ropeParametersOfNewerVersionsMatchTheReference() throws IOException {
        // transformers 5 moves rope_theta and the scaling into rope_parameters.
        assertMatchesReference("rope-parameters", c -> {
            c.remove("rope_scaling");
            c.remove("rope_theta");
            ObjectNode p = c.putObject("rope_parameters");
            p.put("rope_type", "llama3").put("rope_theta", 100.0).put("factor", 8.0).put("low_freq_factor", 1.0)
                    .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 64);
        }, null);
    }

    @Test
    void attentionBiasesMatchTheReference() throws IOException {
        assertMatchesReference("attention-bias", c -> c.put("attention_bias", true), c -> c.put("attention_bias", false));
    }

    @Test
    void mlpBiasesMatchTheReference() throws IOException {
        assertMatchesReference("mlp-bias", c -> c.put("mlp_bias", true), c -> c.put("mlp_bias", false));
    }

    @Test
    void aHeadDimOtherThanWidthOverHeadsMatchesTheReference() throws IOException {
        assertMatchesReference("head-dim", c -> c.put("head_dim", 12), null);
    }

    @Test
    void aLlama32StyleCheckpointWithEveryFeatureMatchesTheReference() throws IOException {
        assertMatchesReference("llama-3.2-style", c -> {
            c.put("tie_word_embeddings", true);
            c.put("head_dim", 6);
            c.put("attention_bias", true);
            c.put("mlp_bias", true);
            c.putArray("eos_token_id").add(0).add(3).add(5);
            c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 32.0).put("low_freq_factor", 1.0)
                    .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 64);
        }, null);
    }

    // ------------------------------------------------------------ refused fields

    private Path writeWith(String name, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode config = llamaConfig();
        Map<String, long[]> shapes = huggingFaceShapes(config);
        edit.accept(config);
        return write(name, config, randomValues(shapes, 5), shapes);
    }

    private void assertRefused(String name, Consumer<ObjectNode> edit, String... fragments) throws IOException {
        Path dir = writeWith(name, edit);
        var e = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir), name);
        assertTrue(e.getMessage().contains(dir.resolve(ModelDirectory.CONFIG).toString()), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), name + ": \"" + e.getMessage() + "\" does not name " + fragment);
        }
    }

    @Test
    void ropeTypesThatAreNotImplementedAreRefusedByName() throws IOException {
        for (String type : List.of("yarn", "dynamic", "longrope", "ntk")) {
            assertRefused("rope-" + type, c -> c.putObject("rope_scaling").put("rope_type", type).put("factor", 4.0),
                    "\"rope_scaling.rope_type\"", "\"" + type + "\"");
        }
        assertRefused("rope-extra-key", c -> c.putObject("rope_scaling").put("rope_type", "linear").put("factor", 4.0)
                .put("mscale", 0.7), "rope_scaling", "mscale");
        assertRefused("rope-no-factor", c -> c.putObject("rope_scaling").put("rope_type", "llama3"),
                "\"rope_scaling.factor\"");
        assertRefused("rope-disagree", c -> c.putObject("rope_parameters").put("rope_theta", 500000.0),
                "\"rope_theta\" = 100.0", "500000.0");
    }

    @Test
    void functionChangingLlamaFieldsAreRefusedByName() throws IOException {
        assertRefused("gelu", c -> c.put("hidden_act", "gelu"), "\"hidden_act\" = \"gelu\"");
        assertRefused("sliding", c -> c.put("sliding_window", 128), "\"sliding_window\" = 128");
        assertRefused("partial", c -> c.put("partial_rotary_factor", 0.5), "\"partial_rotary_factor\" = 0.5");
        assertRefused("quantized", c -> c.putObject("quantization_config").put("quant_method", "bitsandbytes"),
                "\"quantization_config\"", "bitsandbytes");
        assertRefused("architecture", c -> c.putArray("architectures").add("LlamaForSequenceClassification"),
                "\"architectures\"", "LlamaForSequenceClassification");
        assertRefused("family", c -> c.put("model_type", "qwen2"), "model_type", "\"qwen2\"");
        assertRefused("bad-eos", c -> c.putArray("eos_token_id").add(0).add("end"), "\"eos_token_id[1]\"");
        assertRefused("eos-outside-vocab", c -> c.putArray("eos_token_id").add(0).add(1000), "end token id", "1000");
    }

    @Test
    void aSlidingWindowAsLongAsTheContextChangesNothingAndLoads() throws IOException {
        Path dir = writeWith("window-as-long", c -> c.put("sliding_window", 256));
        assertEquals(256, ModelDirectory.load(dir).model().config().contextLength());
    }

    @Test
    void unknownFieldsAreRefusedUnlessNamedAsIgnorable() throws IOException {
        Path dir = writeWith("unknown", c -> c.put("final_logit_softcapping", 30.0).put("unsloth_version", "1"));
        var e = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().contains("[final_logit_softcapping, unsloth_version]"), e.getMessage());
        var ignoring = new ModelDirectory.LoadOptions(Set.of(), Set.of("final_logit_softcapping", "unsloth_version"));
        assertEquals(2, ModelDirectory.load(dir, ignoring).model().config().layers());
        // A known field that is refused stays refused whatever the caller names.
        Path gelu = writeWith("gelu-ignored", c -> c.put("hidden_act", "gelu"));
        assertThrows(IllegalArgumentException.class,
                () -> ModelDirectory.load(gelu, new ModelDirectory.LoadOptions(Set.of(), Set.of("hidden_act"))));
    }

    // ------------------------------------------------------------ tensors

    @Test
    void qwen2StyleBiasesUnderALlamaConfigAreRefusedByName() throws IOException {
        // Qwen2 has q, k and v biases; labelled llama without attention_bias they would be left unused.
        ObjectNode config = llamaConfig();
        Map<String, long[]> shapes = huggingFaceShapes(config);
        for (int l = 0; l < 2; l++) {
            String p = "model.layers." + l + ".self_attn.";
            shapes.put(p + "q_proj.bias", new long[] {32});
            shapes.put(p + "k_proj.bias", new long[] {16});
            shapes.put(p + "v_proj.bias", new long[] {16});
        }
        Path dir = write("qwen2-style", config, randomValues(shapes, 3), shapes);
        var e = assertThrows(CheckpointFormatException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().contains(ModelDirectory.WEIGHTS), e.getMessage());
        for (String name : List.of("model.layers.0.self_attn.q_proj.bias", "model.layers.1.self_attn.v_proj.bias")) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }

        // With attention_bias the o projection needs a bias too, which Qwen2 lacks: named as missing.
        config.put("attention_bias", true);
        HandWrittenCheckpoints.writeJson(dir.resolve(ModelDirectory.CONFIG), config);
        e = assertThrows(CheckpointFormatException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.o_proj.bias"), e.getMessage());
    }

    @Test
    void anUnusedTensorFailsTheLoadUnlessNamedAsIgnorable() throws IOException {
        ObjectNode config = llamaConfig();
        Map<String, long[]> shapes = huggingFaceShapes(config);
        shapes.put("model.layers.0.self_attn.rotary_emb.cos_cached", new long[] {4});
        shapes.put("model.layers.1.self_attn.rotary_emb.cos_cached", new long[] {4});
        shapes.put("score.weight", new long[] {2, 32});
        Path dir = write("extras", config, randomValues(shapes, 4), shapes);
        var e = assertThrows(CheckpointFormatException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().contains("[model.layers.0.self_attn.rotary_emb.cos_cached, "
                + "model.layers.1.self_attn.rotary_emb.cos_cached, score.weight]"), e.getMessage());

        var someIgnored = new ModelDirectory.LoadOptions(Set.of("model.layers.*.self_attn.rotary_emb.cos_cached"), Set.of());
        e = assertThrows(CheckpointFormatException.class, () -> ModelDirectory.load(dir, someIgnored));
        assertTrue(e.getMessage().contains("[score.weight]"), e.getMessage());

        var allIgnored = new ModelDirectory.LoadOptions(Set.of("*.cos_cached", "score.weight"), Set.of());
        assertEquals(2, ModelDirectory.load(dir, allIgnored).model().config().layers());
    }

    @Test
    void rotaryFrequencyBuffersLoadWhenTheyAreTheConfigsAndAreRefusedOtherwise() throws IOException {
        ObjectNode config = llamaConfig();
        config.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
                .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 64);
        Map<String, long[]> shapes = huggingFaceShapes(config);
        Map<String, float[]> values = randomValues(shapes, 8);
        double[] scaled = ReferenceLlama.inverseFrequencies(config, 8);
        float[] invFreq = new float[scaled.length];
        for (int i = 0; i < invFreq.length; i++) {
            invFreq[i] = (float) scaled[i];
        }
        for (int l = 0; l < 2; l++) {
            shapes.put("model.layers." + l + ".self_attn.rotary_emb.inv_freq", new long[] {4});
            values.put("model.layers." + l + ".self_attn.rotary_emb.inv_freq", invFreq);
        }
        Path dir = write("inv-freq", config, values, shapes);
        double[][] loaded = modelLogProbs(ModelDirectory.load(dir).model());
        assertTrue(LogProbRows.maxDifference(new ReferenceLlama(config, values).logProbs(IDS), loaded) < TOLERANCE);

        // The same buffers under a config without the scaling: the checkpoint was made with other frequencies.
        config.putNull("rope_scaling");
        HandWrittenCheckpoints.writeJson(dir.resolve(ModelDirectory.CONFIG), config);
        var e = assertThrows(CheckpointFormatException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.rotary_emb.inv_freq"), e.getMessage());
        assertTrue(e.getMessage().contains("rope_theta = 100.0"), e.getMessage());
    }

    @Test
    void aTiedOutputHeadMayBeStoredOnlyAsACopyOfTheEmbedding() throws IOException {
        ObjectNode config = llamaConfig();
        Map<String, long[]> shapes = huggingFaceShapes(config); // with lm_head.weight
        Map<String, float[]> values = randomValues(shapes, 9);
        config.put("tie_word_embeddings", true);
        Path differs = write("tied-differs", config, values, shapes);
        var e = assertThrows(CheckpointFormatException.class, () -> ModelDirectory.load(differs));
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("tie_word_embeddings"),
                e.getMessage());

        values.put("lm_head.weight", values.get("model.embed_tokens.weight").clone());
        Path copy = write("tied-copy", config, values, shapes);
        TransformerLM model = ModelDirectory.load(copy).model();
        assertTrue(!model.parameters().containsKey("lm_head.weight"), "the head is the embedding");
        assertTrue(LogProbRows.maxDifference(new ReferenceLlama(config, values).logProbs(IDS), modelLogProbs(model)) < TOLERANCE);
    }

    // ------------------------------------------------------------ end ids

    @Test
    void everyListedEndIdAndGenerationConfigsEndIdsAreKept() throws IOException {
        Path dir = writeWith("eos-list", c -> c.putArray("eos_token_id").add(0).add(7).add(9));
        assertEquals(List.of(0, 7, 9), ModelDirectory.load(dir).model().config().endTokenIds());

        HandWrittenCheckpoints.writeJson(dir.resolve(ModelDirectory.GENERATION_CONFIG),
                JSON.createObjectNode().put("bos_token_id", 1).put("do_sample", true)
                        .set("eos_token_id", JSON.createArrayNode().add(9).add(11)));
        ModelConfig loaded = ModelDirectory.load(dir).model().config();
        assertEquals(List.of(0, 7, 9, 11), loaded.endTokenIds());
        // A saved directory keeps them in config.json.
        Path saved = temp.resolve("eos-saved");
        ModelDirectory.save(saved, ModelDirectory.load(dir).model(), TOKENIZER);
        assertEquals(List.of(0, 7, 9, 11), ModelDirectory.load(saved).model().config().endTokenIds());

        Files.writeString(dir.resolve(ModelDirectory.GENERATION_CONFIG), "{\"eos_token_id\": \"</s>\"}");
        var e = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir));
        assertTrue(e.getMessage().contains(ModelDirectory.GENERATION_CONFIG) && e.getMessage().contains("eos_token_id"),
                e.getMessage());
    }
}
