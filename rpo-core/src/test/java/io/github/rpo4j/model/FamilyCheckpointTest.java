package io.github.rpo4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.rpo4j.io.SafeTensors;
import io.github.rpo4j.tensor.Tape;
import io.github.rpo4j.text.CharTokenizer;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Small random Qwen2, Mistral and Qwen3 checkpoints in Hugging Face's layout and dtype (float32 and bfloat16),
 * written by src/test/python/make_family_checkpoints.py together with the log-probabilities an independent
 * float64 PyTorch forward gives them: the loaded models must reproduce them, in the training forward and in
 * KV-cached decoding (through Mistral's and Qwen2's sliding windows), and functionally different configs are
 * refused by field name.
 */
class FamilyCheckpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * float32 activations against the float64 reference, per-token log-probability: the differences are about
     * 1e-5; 1e-4 is well inside the 2e-3 a checkpoint must meet.
     */
    private static final double TOLERANCE = 1e-4;
    private static final List<String> CASES = List.of("qwen2", "qwen2-sliding-window", "mistral", "qwen3");

    @TempDir
    Path temp;

    /** A writable copy of a committed checkpoint, with a tokenizer (the fixtures hold none). */
    private Path copy(String name) throws IOException {
        Path from;
        try {
            from = Path.of(FamilyCheckpointTest.class.getResource("/checkpoints/" + name + "/config.json").toURI())
                    .getParent();
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        Path dir = Files.createTempDirectory(temp, name);
        Files.copy(from.resolve(ModelDirectory.CONFIG), dir.resolve(ModelDirectory.CONFIG));
        Files.copy(from.resolve(ModelDirectory.WEIGHTS), dir.resolve(ModelDirectory.WEIGHTS));
        CharTokenizer.ofAlphabet("0123456789").save(dir);
        return dir;
    }

    private record Expected(int[] ids, double[][] logProbs) {
    }

    private static Expected expected(String name) throws IOException {
        JsonNode n = JSON.readTree(FamilyCheckpointTest.class.getResource("/checkpoints/" + name + "/expected.json"));
        int[] ids = new int[n.get("ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = n.get("ids").get(i).asInt();
        }
        double[][] lp = new double[ids.length][];
        for (int t = 0; t < ids.length; t++) {
            JsonNode row = n.get("logProbs").get(t);
            lp[t] = new double[row.size()];
            for (int s = 0; s < lp[t].length; s++) {
                lp[t][s] = row.get(s).asDouble();
            }
        }
        return new Expected(ids, lp);
    }

    private static double[][] fullForward(TransformerLM model, int[] ids) {
        try (Tape.Scope ignored = Tape.noGrad()) {
            return LogProbRows.of(model.forward(ids, 1, ids.length).value());
        }
    }

    /** Log-probabilities from decoding with a KV cache, the ids fed in chunks of the given sizes. */
    private static double[][] cachedDecoding(TransformerLM model, int[] ids, int... chunks) {
        double[][] out = new double[ids.length][];
        try (Tape.Scope ignored = Tape.noGrad()) {
            KvCache cache = new KvCache(model.config(), 1, ids.length, model.dataType());
            int at = 0;
            for (int chunk : chunks) {
                int[] part = java.util.Arrays.copyOfRange(ids, at, at + chunk);
                double[][] lp = LogProbRows.of(model.forward(part, 1, chunk, null, null, cache).value());
                System.arraycopy(lp, 0, out, at, chunk);
                at += chunk;
            }
            assertEquals(ids.length, at, "chunks must cover the ids");
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen2-sliding-window", "mistral", "qwen3"})
    void theFullForwardMatchesTheIndependentPyTorchForward(String name) throws IOException {
        Expected e = expected(name);
        TransformerLM model = ModelDirectory.load(copy(name)).model();
        double diff = LogProbRows.maxDifference(e.logProbs(), fullForward(model, e.ids()));
        assertTrue(diff < TOLERANCE, name + ": log-probabilities differ from the PyTorch forward by " + diff);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen2-sliding-window", "mistral", "qwen3"})
    void kvCachedDecodingMatchesTheIndependentPyTorchForward(String name) throws IOException {
        Expected e = expected(name);
        TransformerLM model = ModelDirectory.load(copy(name)).model();
        int t = e.ids().length; // 24, past every window (5 and 6)
        int[] oneByOne = new int[t - 2];
        oneByOne[0] = 3;
        java.util.Arrays.fill(oneByOne, 1, oneByOne.length, 1);
        double stepwise = LogProbRows.maxDifference(e.logProbs(), cachedDecoding(model, e.ids(), oneByOne));
        assertTrue(stepwise < TOLERANCE, name + ": token-by-token decoding differs by " + stepwise);
        // chunks longer than the window, starting mid-window
        double chunked = LogProbRows.maxDifference(e.logProbs(), cachedDecoding(model, e.ids(), 4, 7, 7, 6));
        assertTrue(chunked < TOLERANCE, name + ": chunked decoding differs by " + chunked);
    }

    @Test
    void theCheckpointsConfigsAreReadAsTheirFamiliesDefineThem() throws IOException {
        ModelConfig qwen2 = ModelDirectory.load(copy("qwen2")).model().config();
        assertEquals(Family.QWEN2, qwen2.family());
        assertEquals(0, qwen2.slidingWindow(), "use_sliding_window false: the configured window is not used");
        assertTrue(qwen2.tieEmbeddings());
        ModelConfig windowed = ModelDirectory.load(copy("qwen2-sliding-window")).model().config();
        assertEquals(0, windowed.attentionWindow(0), "layers before max_window_layers attend fully");
        assertEquals(5, windowed.attentionWindow(1));
        ModelConfig mistral = ModelDirectory.load(copy("mistral")).model().config();
        assertEquals(Family.MISTRAL, mistral.family());
        assertEquals(6, mistral.attentionWindow(0));
        assertEquals(6, mistral.attentionWindow(1));
        ModelConfig qwen3 = ModelDirectory.load(copy("qwen3")).model().config();
        assertEquals(Family.QWEN3, qwen3.family());
        assertEquals(16, qwen3.headWidth(), "head_dim, not hidden_size / num_attention_heads");
    }

    private static ModelConfig fixtureConfig(String name, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode c = (ObjectNode) JSON.readTree(
                FamilyCheckpointTest.class.getResource("/checkpoints/" + name + "/config.json"));
        edit.accept(c);
        return ModelConfig.fromJson(c);
    }

    @Test
    void absentAndNullFieldsTakeTheDefaultsOfTheFamiliesConfigurationClasses() throws IOException {
        assertEquals(128, fixtureConfig("qwen3", c -> c.remove("head_dim")).headWidth(), "Qwen3Config's head_dim");
        assertEquals(8, fixtureConfig("qwen2", c -> c.remove("head_dim")).headWidth(), "hidden_size / heads");
        assertEquals(4096, fixtureConfig("mistral", c -> c.remove("sliding_window")).attentionWindow(0));
        assertEquals(0, fixtureConfig("mistral", c -> c.putNull("sliding_window")).attentionWindow(0));
        assertEquals(0, fixtureConfig("qwen2-sliding-window", c -> c.putNull("sliding_window")).attentionWindow(1));
        ModelConfig absent = fixtureConfig("qwen2-sliding-window", c -> {
            c.remove("sliding_window");
            c.remove("max_window_layers");
        });
        assertEquals(0, absent.attentionWindow(1), "max_window_layers 28 by default: no layer of 2 is windowed");
        assertEquals(4096, fixtureConfig("qwen2-sliding-window", c -> c.remove("sliding_window")).attentionWindow(1));
        assertEquals(5, fixtureConfig("qwen2-sliding-window", c -> c.put("max_window_layers", 0)).attentionWindow(0));
        assertEquals(0, fixtureConfig("qwen2-sliding-window", c -> c.put("use_sliding_window", false)).attentionWindow(1));
    }

    /**
     * Configs with the fields (and sizes) that Qwen2.5 0.5B, Qwen3 0.6B and Mistral 7B v0.1 / v0.3 releases write:
     * every field is read or known, and the window is used only where the family uses it.
     */
    @Test
    void configsWithTheFieldsOfPublishedReleasesAreRead() throws IOException {
        String common = "\"attention_dropout\": 0.0, \"hidden_act\": \"silu\", \"initializer_range\": 0.02, "
                + "\"torch_dtype\": \"bfloat16\", \"use_cache\": true, ";
        ModelConfig qwen25 = ModelConfig.fromJson(JSON.readTree("{\"architectures\": [\"Qwen2ForCausalLM\"], " + common
                + "\"bos_token_id\": 151643, \"eos_token_id\": 151643, \"hidden_size\": 896, \"intermediate_size\": 4864, "
                + "\"max_position_embeddings\": 32768, \"max_window_layers\": 24, \"model_type\": \"qwen2\", "
                + "\"num_attention_heads\": 14, \"num_hidden_layers\": 24, \"num_key_value_heads\": 2, \"rms_norm_eps\": 1e-06, "
                + "\"rope_theta\": 1000000.0, \"sliding_window\": 32768, \"tie_word_embeddings\": true, "
                + "\"transformers_version\": \"4.40.1\", \"use_mrope\": false, \"use_sliding_window\": false, "
                + "\"vocab_size\": 151936}"));
        assertEquals(64, qwen25.headWidth());
        assertEquals(0, qwen25.slidingWindow());
        ModelConfig qwen3 = ModelConfig.fromJson(JSON.readTree("{\"architectures\": [\"Qwen3ForCausalLM\"], " + common
                + "\"attention_bias\": false, \"bos_token_id\": 151643, \"eos_token_id\": 151645, \"head_dim\": 128, "
                + "\"hidden_size\": 1024, \"intermediate_size\": 3072, \"max_position_embeddings\": 40960, "
                + "\"max_window_layers\": 28, \"model_type\": \"qwen3\", \"num_attention_heads\": 16, "
                + "\"num_hidden_layers\": 28, \"num_key_value_heads\": 8, \"rms_norm_eps\": 1e-06, \"rope_scaling\": null, "
                + "\"rope_theta\": 1000000, \"sliding_window\": null, \"tie_word_embeddings\": true, "
                + "\"transformers_version\": \"4.51.0\", \"use_sliding_window\": false, \"vocab_size\": 151936}"));
        assertEquals(128, qwen3.headWidth());
        assertEquals(0, qwen3.slidingWindow());
        String mistral = "{\"architectures\": [\"MistralForCausalLM\"], " + common + "\"bos_token_id\": 1, "
                + "\"eos_token_id\": 2, \"hidden_size\": 4096, \"intermediate_size\": 14336, "
                + "\"max_position_embeddings\": 32768, \"model_type\": \"mistral\", \"num_attention_heads\": 32, "
                + "\"num_hidden_layers\": 32, \"num_key_value_heads\": 8, \"rms_norm_eps\": 1e-05, \"rope_theta\": %s, "
                + "\"sliding_window\": %s, \"tie_word_embeddings\": false, \"transformers_version\": \"4.42.0\", "
                + "\"vocab_size\": 32768}";
        assertEquals(4096, ModelConfig.fromJson(JSON.readTree(String.format(mistral, "10000.0", "4096"))).attentionWindow(31));
        assertEquals(0, ModelConfig.fromJson(JSON.readTree(String.format(mistral, "1000000.0", "null"))).attentionWindow(31));
    }

    @Test
    void mistralWithItsWindowIgnoredWouldFailTheComparison() throws IOException {
        // The comparison can fail: the same weights under full attention are far from the reference.
        Expected e = expected("mistral");
        TransformerLM model = ModelDirectory.load(copy("mistral")).model();
        TransformerLM full = new TransformerLM(model.config().withSlidingWindow(0, 0), model.weights());
        assertTrue(LogProbRows.maxDifference(e.logProbs(), fullForward(full, e.ids())) > 0.05);
    }

    @Test
    void aLeftPaddedRowDecodesThroughTheWindowAsItDoesAlone() throws IOException {
        // With left padding, key slots are shifted by the padding; the window counts positions of the row.
        Expected e = expected("mistral");
        TransformerLM model = ModelDirectory.load(copy("mistral")).model();
        int pad = 3;
        int prompt = 4;
        int t = e.ids().length;
        try (Tape.Scope ignored = Tape.noGrad()) {
            KvCache cache = new KvCache(model.config(), 1, pad + t, model.dataType());
            int[] ids = new int[pad + prompt];
            int[] positions = new int[pad + prompt];
            float[] present = new float[pad + t];
            for (int i = 0; i < pad + prompt; i++) {
                ids[i] = i < pad ? 0 : e.ids()[i - pad];
                positions[i] = Math.max(0, i - pad);
                present[i] = i < pad ? 0 : 1;
            }
            for (int i = pad + prompt; i < present.length; i++) {
                present[i] = 1;
            }
            INDArray mask = Nd4j.create(present, new long[] {1, present.length}, 'c');
            double[][] got = new double[t][];
            double[][] pre = LogProbRows.of(model.forward(ids, 1, pad + prompt, positions,
                    mask.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                            org.nd4j.linalg.indexing.NDArrayIndex.interval(0, pad + prompt)), cache).value());
            System.arraycopy(pre, pad, got, 0, prompt);
            for (int s = prompt; s < t; s++) {
                INDArray seen = mask.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                        org.nd4j.linalg.indexing.NDArrayIndex.interval(0, pad + s + 1));
                got[s] = LogProbRows.of(model.forward(new int[] {e.ids()[s]}, 1, 1, new int[] {s}, seen, cache).value())[0];
            }
            double diff = LogProbRows.maxDifference(e.logProbs(), got);
            assertTrue(diff < TOLERANCE, "left-padded decoding differs by " + diff);
        }
    }

    @Test
    void aSavedCheckpointOfEachFamilyLoadsBackAsTheSameFunction() throws IOException {
        for (String name : CASES) {
            TransformerLM model = ModelDirectory.load(copy(name)).model();
            Path saved = temp.resolve(name + "-saved");
            ModelDirectory.save(saved, model, CharTokenizer.ofAlphabet("0123456789"));
            TransformerLM again = ModelDirectory.load(saved).model();
            assertEquals(model.config(), again.config(), name);
            Expected e = expected(name);
            assertEquals(0.0, LogProbRows.maxDifference(fullForward(model, e.ids()), fullForward(again, e.ids())), name);
        }
    }

    // ------------------------------------------------------------------ refusals

    private Path withConfig(String name, Consumer<ObjectNode> edit) throws IOException {
        Path dir = copy(name);
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve(ModelDirectory.CONFIG).toFile());
        edit.accept(config);
        HandWrittenCheckpoints.writeJson(dir.resolve(ModelDirectory.CONFIG), config);
        return dir;
    }

    private void assertRefused(Path dir, String... fragments) {
        Exception e = assertThrows(Exception.class, () -> ModelDirectory.load(dir));
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "\"" + e.getMessage() + "\" should name " + fragment);
        }
    }

    @Test
    void anUnknownModelTypeIsRefusedByName() throws IOException {
        assertRefused(withConfig("qwen2", c -> c.put("model_type", "gemma")), "model_type", "gemma", "qwen2", "mistral");
    }

    @Test
    void configValuesThatWouldChangeTheFunctionAreRefusedByField() throws IOException {
        assertRefused(withConfig("qwen2", c -> c.put("use_mrope", true)), "use_mrope");
        assertRefused(withConfig("qwen2", c -> c.putArray("layer_types").add("sliding_attention").add("full_attention")),
                "layer_types");
        assertRefused(withConfig("qwen2-sliding-window", c -> c.put("sliding_window", 0)), "sliding_window");
        assertRefused(withConfig("qwen2", c -> c.put("max_window_layers", -1)), "max_window_layers");
        // fields of another family of the layout are not this family's: refused as unknown
        assertRefused(withConfig("mistral", c -> c.put("attention_bias", true)), "attention_bias");
        assertRefused(withConfig("qwen2", c -> c.put("mlp_bias", true)), "mlp_bias");
        assertRefused(withConfig("qwen3", c -> c.put("hidden_act", "gelu")), "hidden_act");
        assertRefused(withConfig("mistral", c -> c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 2.0)),
                "rope_scaling.rope_type");
        assertRefused(withConfig("qwen3", c -> c.put("architectures", JSON.createArrayNode().add("Qwen2ForCausalLM"))),
                "architectures");
    }

    @Test
    void layerTypesThatAgreeWithTheWindowSettingsLoad() throws IOException {
        Path dir = withConfig("qwen2-sliding-window",
                c -> c.putArray("layer_types").add("full_attention").add("sliding_attention"));
        assertEquals(5, ModelDirectory.load(dir).model().config().attentionWindow(1));
    }

    /** The fixture's tensors with {@code edit} applied, written back as float32. */
    private Path withTensors(String name, Consumer<Map<String, INDArray>> edit) throws IOException {
        Path dir = copy(name);
        Map<String, INDArray> tensors = new LinkedHashMap<>(SafeTensors.read(dir.resolve(ModelDirectory.WEIGHTS)));
        edit.accept(tensors);
        Files.delete(dir.resolve(ModelDirectory.WEIGHTS));
        SafeTensors.write(dir.resolve(ModelDirectory.WEIGHTS), tensors, Map.of());
        return dir;
    }

    @Test
    void missingOrUnusedTensorsOfTheNewFamiliesAreRefusedByName() throws IOException {
        assertRefused(withTensors("qwen2", t -> t.remove("model.layers.1.self_attn.k_proj.bias")),
                "model.layers.1.self_attn.k_proj.bias");
        assertRefused(withTensors("qwen2", t -> t.put("model.layers.0.self_attn.o_proj.bias", Nd4j.zeros(DataType.FLOAT, 32))),
                "model.layers.0.self_attn.o_proj.bias");
        assertRefused(withTensors("qwen3", t -> t.remove("model.layers.0.self_attn.q_norm.weight")),
                "model.layers.0.self_attn.q_norm.weight");
        assertRefused(withTensors("qwen3", t -> t.put("model.layers.0.self_attn.k_norm.weight", Nd4j.ones(DataType.FLOAT, 8))),
                "model.layers.0.self_attn.k_norm.weight");
        assertRefused(withTensors("mistral", t -> t.put("model.layers.0.self_attn.q_proj.bias", Nd4j.zeros(DataType.FLOAT, 32))),
                "model.layers.0.self_attn.q_proj.bias");
    }
}
