package io.github.rpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The shape of a decoder-only transformer. Serialised as a Hugging Face {@code config.json}
 * with each family's own field names (GPT-2: n_embd, n_layer, n_head, n_positions; Llama:
 * hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, ...).
 *
 * <p>Reading is strict: every field of a config.json is either implemented, known not to change the
 * function (dropout rates, token ids other than the end ids, bookkeeping), or refused with an error
 * naming the field and its value. Fields rpo4j does not know at all are refused too, unless the caller
 * names them as ignorable. docs/checkpoints.md has the table.
 *
 * @param family        GPT-2, or a family of Llama's layout (Llama, Qwen2, Mistral, Qwen3)
 * @param vocabSize     number of token ids
 * @param contextLength the longest sequence (n_positions / max_position_embeddings)
 * @param layers        transformer blocks
 * @param width         model width C (n_embd / hidden_size)
 * @param heads         query heads H
 * @param kvHeads       key/value heads (H for GPT-2; fewer than H for grouped-query attention)
 * @param headWidth     the width D of one head: C / H for GPT-2; Llama's head_dim, C / H unless given
 * @param mlpWidth      hidden width of the MLP (4C for GPT-2; intermediate_size for Llama)
 * @param normEps       LayerNorm / RMSNorm epsilon
 * @param ropeTheta     RoPE base (Llama)
 * @param ropeScaling   how RoPE frequencies are rescaled (Llama); {@link RopeScaling#NONE} for none
 * @param attentionBias whether Llama's q, k, v and o projections have biases (attention_bias)
 * @param mlpBias       whether Llama's gate, up and down projections have biases (mlp_bias)
 * @param slidingWindow how many positions (itself included) a query sees in a sliding-window layer; 0 for
 *                      full attention everywhere (Mistral's sliding_window; Qwen's when use_sliding_window)
 * @param firstSlidingLayer the first layer that attends in a window; every later layer does too (Qwen's
 *                      max_window_layers; 0 for Mistral)
 * @param tieEmbeddings whether the output head reuses the token embedding
 * @param endTokenIds   the ids that end a sample (eos_token_id, one or a list); empty for none
 */
public record ModelConfig(Family family, int vocabSize, int contextLength, int layers, int width, int heads,
                          int kvHeads, int headWidth, int mlpWidth, double normEps, double ropeTheta,
                          RopeScaling ropeScaling, boolean attentionBias, boolean mlpBias, int slidingWindow,
                          int firstSlidingLayer, boolean tieEmbeddings, List<Integer> endTokenIds) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Fields that do not change the function a checkpoint computes: bookkeeping, other special token ids,
     * dropout rates (rpo4j trains without dropout; inference never uses it) and generation defaults (rpo4j's
     * sampling takes its settings from its caller).
     */
    static final Set<String> IGNORED_FIELDS = Set.of("_name_or_path", "transformers_version", "torch_dtype", "dtype",
            "use_cache", "bos_token_id", "pad_token_id", "sep_token_id", "initializer_range", "id2label", "label2id",
            "task_specific_params", "tokenizer_class", "return_dict", "output_attentions", "output_hidden_states",
            "torchscript", "_attn_implementation", "_attn_implementation_autoset", "_num_labels", "num_labels",
            "problem_type", "finetuning_task", "prefix", "keys_to_ignore_at_inference", "gradient_checkpointing",
            "n_special", "predict_special_tokens", "max_length", "do_sample", "temperature", "top_k", "top_p",
            "attn_pdrop", "embd_pdrop", "resid_pdrop", "summary_activation", "summary_first_dropout",
            "summary_proj_to_labels", "summary_type", "summary_use_proj", "attention_dropout");

    public ModelConfig {
        require(family != null, "family", family);
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(contextLength > 0, "context length", contextLength);
        require(layers > 0, "number of layers", layers);
        require(heads > 0, "heads", heads);
        require(kvHeads > 0 && heads % kvHeads == 0, "key/value heads (must divide the heads " + heads + ")", kvHeads);
        require(headWidth > 0, "head width", headWidth);
        require(family != Family.GPT2 || heads * headWidth == width,
                "heads (GPT-2: heads x head width " + headWidth + " must equal the width " + width + ")", heads);
        require(family != Family.GPT2 || kvHeads == heads, "key/value heads (GPT-2: as many as heads " + heads + ")", kvHeads);
        require(family.gpt2Layout() || headWidth % 2 == 0, "head width (even for RoPE)", headWidth);
        require(mlpWidth > 0, "MLP width", mlpWidth);
        require(normEps > 0, "norm epsilon", normEps);
        require(ropeTheta > 0, "rope theta", ropeTheta);
        require(ropeScaling != null, "rope scaling", ropeScaling);
        require(!family.gpt2Layout() || ropeScaling.type() == RopeScaling.Type.NONE,
                "GPT-2 option (rope scaling is for rotary families)", ropeScaling);
        require(family == Family.LLAMA || family == Family.QWEN3 || !attentionBias,
                "attention_bias (Llama's and Qwen3's option)", attentionBias);
        require(family == Family.LLAMA || !mlpBias, "mlp_bias (Llama's option)", mlpBias);
        require(slidingWindow >= 0, "sliding window (0 for none)", slidingWindow);
        require(slidingWindow == 0 || family == Family.MISTRAL || family == Family.QWEN2 || family == Family.QWEN3,
                "sliding window (Mistral's and Qwen's option)", slidingWindow);
        require(firstSlidingLayer >= 0 && firstSlidingLayer <= layers && (family != Family.MISTRAL || firstSlidingLayer == 0),
                "first sliding-window layer (in [0, " + layers + "]; 0 for Mistral)", firstSlidingLayer);
        require(endTokenIds != null, "end token ids", endTokenIds);
        for (Integer id : endTokenIds) {
            require(id != null && id >= 0 && id < vocabSize, "end token id (must be in [0, " + vocabSize + "))", id);
        }
        endTokenIds = List.copyOf(new LinkedHashSet<>(endTokenIds));
    }

    /** The configuration of rpo4j's earlier releases: head width C / H, no rope scaling, no Llama biases. */
    public ModelConfig(Family family, int vocabSize, int contextLength, int layers, int width, int heads, int kvHeads,
                       int mlpWidth, double normEps, double ropeTheta, boolean tieEmbeddings, int eosTokenId) {
        this(family, vocabSize, contextLength, layers, width, heads, kvHeads, heads > 0 ? width / heads : 0, mlpWidth,
                normEps, ropeTheta, RopeScaling.NONE, false, false, 0, 0, tieEmbeddings,
                eosTokenId >= 0 ? List.of(eosTokenId) : List.of());
    }

    private static void require(boolean ok, String field, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid model configuration: " + field + " = " + value);
        }
    }

    /** A GPT-2 family configuration (tied embeddings, MLP width 4C, eps 1e-5). */
    public static ModelConfig gpt2(int vocabSize, int contextLength, int layers, int width, int heads) {
        return new ModelConfig(Family.GPT2, vocabSize, contextLength, layers, width, heads, heads, 4 * width,
                1e-5, 10000, true, -1);
    }

    /** A Llama family configuration (untied head, eps 1e-6, rope theta 10000). */
    public static ModelConfig llama(int vocabSize, int contextLength, int layers, int width, int heads, int kvHeads,
                                    int mlpWidth) {
        return new ModelConfig(Family.LLAMA, vocabSize, contextLength, layers, width, heads, kvHeads, mlpWidth,
                1e-6, 10000, false, -1);
    }

    /** This configuration ending samples at {@code id} alone, or at nothing when {@code id} is negative. */
    public ModelConfig withEosTokenId(int id) {
        return withEndTokenIds(id >= 0 ? List.of(id) : List.of());
    }

    public ModelConfig withEndTokenIds(List<Integer> ids) {
        return new ModelConfig(family, vocabSize, contextLength, layers, width, heads, kvHeads, headWidth, mlpWidth,
                normEps, ropeTheta, ropeScaling, attentionBias, mlpBias, slidingWindow, firstSlidingLayer, tieEmbeddings, ids);
    }

    public ModelConfig withTieEmbeddings(boolean tie) {
        return new ModelConfig(family, vocabSize, contextLength, layers, width, heads, kvHeads, headWidth, mlpWidth,
                normEps, ropeTheta, ropeScaling, attentionBias, mlpBias, slidingWindow, firstSlidingLayer, tie, endTokenIds);
    }

    public ModelConfig withHeadWidth(int d) {
        return new ModelConfig(family, vocabSize, contextLength, layers, width, heads, kvHeads, d, mlpWidth,
                normEps, ropeTheta, ropeScaling, attentionBias, mlpBias, slidingWindow, firstSlidingLayer, tieEmbeddings, endTokenIds);
    }

    public ModelConfig withRope(double theta, RopeScaling scaling) {
        return new ModelConfig(family, vocabSize, contextLength, layers, width, heads, kvHeads, headWidth, mlpWidth,
                normEps, theta, scaling, attentionBias, mlpBias, slidingWindow, firstSlidingLayer, tieEmbeddings, endTokenIds);
    }

    public ModelConfig withBiases(boolean attention, boolean mlp) {
        return new ModelConfig(family, vocabSize, contextLength, layers, width, heads, kvHeads, headWidth, mlpWidth,
                normEps, ropeTheta, ropeScaling, attention, mlp, slidingWindow, firstSlidingLayer, tieEmbeddings, endTokenIds);
    }

    /** This configuration with the vocabulary size {@code n}. */
    public ModelConfig withVocabSize(int n) {
        return new ModelConfig(family, n, contextLength, layers, width, heads, kvHeads, headWidth, mlpWidth,
                normEps, ropeTheta, ropeScaling, attentionBias, mlpBias, slidingWindow, firstSlidingLayer, tieEmbeddings,
                endTokenIds);
    }

    /**
     * This configuration with a sliding window of {@code window} positions (0 for none) in layers
     * {@code firstLayer} and after.
     */
    public ModelConfig withSlidingWindow(int window, int firstLayer) {
        return new ModelConfig(family, vocabSize, contextLength, layers, width, heads, kvHeads, headWidth, mlpWidth,
                normEps, ropeTheta, ropeScaling, attentionBias, mlpBias, window, firstLayer, tieEmbeddings, endTokenIds);
    }

    /**
     * How many positions, itself included, a query of layer {@code layer} sees: the sliding window in a
     * sliding-window layer, 0 (no limit) otherwise.
     */
    public int attentionWindow(int layer) {
        return slidingWindow > 0 && layer >= firstSlidingLayer ? slidingWindow : 0;
    }

    /** The first end id (the one config.json lists first), or -1 when there is none. */
    public int eosTokenId() {
        return endTokenIds.isEmpty() ? -1 : endTokenIds.get(0);
    }

    /** The config.json tree with this family's Hugging Face field names. */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(family.architecture());
        n.put("model_type", family.modelType());
        n.put("vocab_size", vocabSize);
        if (family == Family.GPT2) {
            n.put("n_positions", contextLength);
            n.put("n_ctx", contextLength);
            n.put("n_embd", width);
            n.put("n_layer", layers);
            n.put("n_head", heads);
            n.put("n_inner", mlpWidth);
            n.put("layer_norm_epsilon", normEps);
            n.put("activation_function", "gelu_new");
        } else {
            n.put("max_position_embeddings", contextLength);
            n.put("hidden_size", width);
            n.put("intermediate_size", mlpWidth);
            n.put("num_hidden_layers", layers);
            n.put("num_attention_heads", heads);
            n.put("num_key_value_heads", kvHeads);
            n.put("head_dim", headWidth);
            n.put("rms_norm_eps", normEps);
            n.put("rope_theta", ropeTheta);
            n.set("rope_scaling", ropeScaling.toJson());
            if (family == Family.LLAMA || family == Family.QWEN3) {
                n.put("attention_bias", attentionBias);
            }
            if (family == Family.LLAMA) {
                n.put("mlp_bias", mlpBias);
            }
            if (family == Family.MISTRAL) {
                if (slidingWindow > 0) {
                    n.put("sliding_window", slidingWindow);
                } else {
                    n.putNull("sliding_window");
                }
            } else if (family == Family.QWEN2 || family == Family.QWEN3) {
                n.put("use_sliding_window", slidingWindow > 0);
                if (slidingWindow > 0) {
                    n.put("sliding_window", slidingWindow);
                } else {
                    n.putNull("sliding_window");
                }
                n.put("max_window_layers", firstSlidingLayer);
            }
            n.put("hidden_act", "silu");
        }
        n.put("tie_word_embeddings", tieEmbeddings);
        if (endTokenIds.size() == 1) {
            n.put("eos_token_id", endTokenIds.get(0));
        } else if (!endTokenIds.isEmpty()) {
            ArrayNode ids = n.putArray("eos_token_id");
            endTokenIds.forEach(ids::add);
        }
        n.put("torch_dtype", "float32");
        return n;
    }

    /** Reads config.json strictly; errors name the file and the field. */
    public static ModelConfig read(Path file) throws IOException {
        return read(file, Set.of());
    }

    /**
     * Reads config.json; errors name the file and the field.
     *
     * @param ignorableFields top-level fields rpo4j does not know that the caller vouches do not change the
     *                        function (fields rpo4j knows and refuses cannot be ignored this way)
     */
    public static ModelConfig read(Path file, Set<String> ignorableFields) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        try {
            return fromJson(n, ignorableFields);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a config.json tree of either family, strictly. */
    public static ModelConfig fromJson(JsonNode n) {
        return fromJson(n, Set.of());
    }

    /** Parses a config.json tree of either family; see {@link #read(Path, Set)} for {@code ignorableFields}. */
    public static ModelConfig fromJson(JsonNode n, Set<String> ignorableFields) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("config is not a JSON object");
        }
        Fields f = new Fields(n);
        Family family = Family.fromModelType(f.text("model_type", null));
        JsonNode architectures = f.get("architectures");
        if (architectures != null && !architectures.isNull()) {
            if (!architectures.isArray() || architectures.size() != 1
                    || !family.readableArchitectures().contains(architectures.get(0).asText())) {
                throw refused("architectures", architectures, "rpo4j reads " + family.readableArchitectures()
                        + " for model_type \"" + family.modelType() + "\"");
            }
        }
        refuseUnless(f, "quantization_config", JsonNode::isNull, "quantized weights are not implemented");
        refuseUnless(f, "is_encoder_decoder", v -> !v.asBoolean(), "rpo4j implements decoder-only models");
        refuseUnless(f, "add_cross_attention", v -> !v.asBoolean(), "cross-attention is not implemented");
        refuseUnless(f, "pruned_heads", v -> v.isObject() && v.isEmpty(), "pruned heads are not implemented");
        int vocab = positive(f.integer("vocab_size", null), "vocab_size");
        List<Integer> endIds = endTokenIds(f.get("eos_token_id"), "eos_token_id");
        ModelConfig config = family.gpt2Layout() ? gpt2FromJson(f, vocab, endIds) : rotaryFromJson(f, family, vocab, endIds);

        Set<String> unknown = new TreeSet<>();
        n.fieldNames().forEachRemaining(name -> {
            if (!f.read.contains(name) && !IGNORED_FIELDS.contains(name) && !ignorableFields.contains(name)) {
                unknown.add(name);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("fields " + unknown + " are not known to rpo4j and may change what the "
                    + "model computes; if they do not, name them as ignorable (--ignore-config-field NAME)");
        }
        return config;
    }

    private static ModelConfig gpt2FromJson(Fields f, int vocab, List<Integer> endIds) {
        int width = positive(f.integer("n_embd", null), "n_embd");
        int heads = positive(f.integer("n_head", null), "n_head");
        int ctx = positive(f.integer("n_positions", null), "n_positions");
        f.get("n_ctx"); // an old alias Hugging Face no longer reads: n_positions sizes the position table
        int inner = positive(f.integer("n_inner", 4 * width), "n_inner");
        double eps = positiveNumber(f.number("layer_norm_epsilon", 1e-5), "layer_norm_epsilon");
        boolean tie = f.bool("tie_word_embeddings", true);
        String activation = f.text("activation_function", "gelu_new");
        if (!activation.equals("gelu_new") && !activation.equals("gelu_pytorch_tanh")) {
            throw refused("activation_function", f.node.get("activation_function"),
                    "rpo4j implements the tanh GELU (gelu_new, gelu_pytorch_tanh)");
        }
        refuseUnless(f, "scale_attn_weights", JsonNode::asBoolean, "rpo4j always scales attention by 1/sqrt(head width)");
        refuseUnless(f, "scale_attn_by_inverse_layer_idx", v -> !v.asBoolean(), "per-layer attention scaling is not implemented");
        f.get("reorder_and_upcast_attn"); // only the float precision of the scores; rpo4j computes them in the weights' type
        divides(heads, "n_head", width, "n_embd");
        int layers = positive(f.integer("n_layer", null), "n_layer");
        return new ModelConfig(Family.GPT2, vocab, ctx, layers, width, heads, heads, width / heads, inner, eps, 10000,
                RopeScaling.NONE, false, false, 0, 0, tie, endIds);
    }

    /**
     * Llama, Qwen2, Mistral and Qwen3, read with each family's fields and defaults as its {@code transformers}
     * configuration class defines them (Qwen3's head_dim 128; Mistral's, Qwen2's and Qwen3's sliding_window 4096
     * when absent). A field another family of the layout has but this one does not is refused as unknown.
     */
    private static ModelConfig rotaryFromJson(Fields f, Family family, int vocab, List<Integer> endIds) {
        int width = positive(f.integer("hidden_size", null), "hidden_size");
        int heads = positive(f.integer("num_attention_heads", null), "num_attention_heads");
        int kv = positive(f.integer("num_key_value_heads", heads), "num_key_value_heads");
        boolean explicitHeadWidth = f.present("head_dim");
        int headWidth;
        if (explicitHeadWidth) {
            headWidth = positive(f.integer("head_dim", null), "head_dim");
        } else if (family == Family.QWEN3) {
            headWidth = 128; // Qwen3Config's default, not hidden_size / num_attention_heads
            explicitHeadWidth = true;
        } else {
            divides(heads, "num_attention_heads", width, "hidden_size");
            headWidth = width / heads;
        }
        divides(kv, "num_key_value_heads", heads, "num_attention_heads");
        if (headWidth % 2 != 0) {
            throw new IllegalArgumentException("field " + (explicitHeadWidth ? "\"head_dim\"" : "\"hidden_size\" / "
                    + "\"num_attention_heads\"") + " = " + headWidth + " must be even for rotary position embeddings");
        }
        int ctx = positive(f.integer("max_position_embeddings", null), "max_position_embeddings");
        double eps = positiveNumber(f.number("rms_norm_eps", 1e-6), "rms_norm_eps");
        boolean tie = f.bool("tie_word_embeddings", false);
        boolean attentionBias = (family == Family.LLAMA || family == Family.QWEN3) && f.bool("attention_bias", false);
        boolean mlpBias = family == Family.LLAMA && f.bool("mlp_bias", false);
        String act = f.text("hidden_act", "silu");
        if (!act.equals("silu") && !act.equals("swish")) {
            throw refused("hidden_act", f.node.get("hidden_act"), "rpo4j implements SwiGLU with silu (also named swish)");
        }
        // pretraining_tp > 1 splits each projection into slices whose products are summed: the same function.
        if (family == Family.LLAMA && f.present("pretraining_tp")) {
            positive(f.integer("pretraining_tp", null), "pretraining_tp");
        }
        int layers = positive(f.integer("num_hidden_layers", null), "num_hidden_layers");
        int window = 0;
        int firstSlidingLayer = 0;
        if (family == Family.MISTRAL) {
            window = slidingWindow(f);
        } else if (family == Family.QWEN2 || family == Family.QWEN3) {
            refuseUnless(f, "use_mrope", v -> v.isBoolean() && !v.asBoolean(), "multimodal rotary positions are not implemented");
            boolean sliding = f.bool("use_sliding_window", false);
            int configuredWindow = slidingWindow(f); // read, so that it is known, even where it is not used
            int maxWindowLayers = f.integer("max_window_layers", 28);
            if (maxWindowLayers < 0) {
                throw new IllegalArgumentException("field \"max_window_layers\" must be >= 0, got " + maxWindowLayers);
            }
            if (sliding && configuredWindow > 0) {
                window = configuredWindow;
                firstSlidingLayer = Math.min(maxWindowLayers, layers);
            }
            requireLayerTypes(f, layers, window, firstSlidingLayer);
        } else if (f.present("sliding_window")) {
            int llamaWindow = f.integer("sliding_window", null);
            if (llamaWindow < ctx) {
                throw refused("sliding_window", f.node.get("sliding_window"), "sliding-window attention is not "
                        + "implemented and the window is shorter than max_position_embeddings = " + ctx);
            }
        }
        Map<String, JsonNode> rope = ropeSettings(f);
        double theta = f.number("rope_theta", 10000);
        if (rope.containsKey("rope_theta")) {
            JsonNode inner = rope.remove("rope_theta");
            if (f.present("rope_theta") && inner.asDouble() != theta) {
                throw new IllegalArgumentException("field \"rope_theta\" = " + theta
                        + " disagrees with field \"rope_parameters.rope_theta\" = " + inner);
            }
            theta = inner.asDouble();
        }
        positiveNumber(theta, "rope_theta");
        double partial = f.number("partial_rotary_factor", 1.0);
        if (rope.containsKey("partial_rotary_factor")) {
            partial = rope.remove("partial_rotary_factor").asDouble();
        }
        if (partial != 1.0) {
            throw refused("partial_rotary_factor", partial, "rpo4j rotates every dimension of a head");
        }
        RopeScaling scaling = ropeScaling(rope);
        return new ModelConfig(family, vocab, ctx, layers, width, heads, kv, headWidth,
                positive(f.integer("intermediate_size", null), "intermediate_size"), eps, theta, scaling, attentionBias,
                mlpBias, window, firstSlidingLayer, tie, endIds);
    }

    /** sliding_window: 4096 when absent (the configuration classes' default), none when null, else positive. */
    private static int slidingWindow(Fields f) {
        JsonNode v = f.get("sliding_window");
        if (v == null) {
            return 4096;
        }
        if (v.isNull()) {
            return 0;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            throw new IllegalArgumentException("field \"sliding_window\" must be a positive integer or null, got " + v);
        }
        return v.asInt();
    }

    /**
     * layer_types (written by newer {@code transformers}), when present, must name the attention of each layer
     * as use_sliding_window, sliding_window and max_window_layers define it: another pattern is refused.
     */
    private static void requireLayerTypes(Fields f, int layers, int window, int firstSlidingLayer) {
        JsonNode v = f.get("layer_types");
        if (v == null || v.isNull()) {
            return;
        }
        List<String> expected = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            expected.add(window > 0 && l >= firstSlidingLayer ? "sliding_attention" : "full_attention");
        }
        List<String> given = new ArrayList<>();
        if (v.isArray()) {
            v.forEach(e -> given.add(e.isTextual() ? e.asText() : e.toString()));
        }
        if (!given.equals(expected)) {
            throw refused("layer_types", v, "rpo4j implements the layer types that use_sliding_window, sliding_window "
                    + "and max_window_layers define: " + expected);
        }
    }

    /**
     * rope_scaling (transformers 4.x) and rope_parameters (5.x) as one map, keyed by the 5.x names
     * ({@code type} becomes {@code rope_type}); a key in both must have one value.
     */
    private static Map<String, JsonNode> ropeSettings(Fields f) {
        Map<String, JsonNode> rope = new LinkedHashMap<>();
        Map<String, String> from = new LinkedHashMap<>();
        for (String field : List.of("rope_scaling", "rope_parameters")) {
            JsonNode v = f.get(field);
            if (v == null || v.isNull()) {
                continue;
            }
            if (!v.isObject()) {
                throw new IllegalArgumentException("field \"" + field + "\" must be an object or null, got " + v);
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey().equals("type") ? "rope_type" : e.getKey();
                JsonNode earlier = rope.putIfAbsent(key, e.getValue());
                if (earlier != null && !earlier.equals(e.getValue())) {
                    throw new IllegalArgumentException("field \"" + from.get(key) + "\" = " + earlier
                            + " disagrees with field \"" + field + "." + e.getKey() + "\" = " + e.getValue());
                }
                from.putIfAbsent(key, field + "." + e.getKey());
            }
        }
        return rope;
    }

    private static RopeScaling ropeScaling(Map<String, JsonNode> rope) {
        JsonNode typeNode = rope.remove("rope_type");
        String type = typeNode == null || typeNode.isNull() ? "default" : typeNode.asText();
        RopeScaling scaling;
        switch (type) {
            case "default" -> scaling = RopeScaling.NONE;
            case "linear" -> scaling = RopeScaling.linear(ropeNumber(rope, "factor"));
            case "llama3" -> {
                double factor = ropeNumber(rope, "factor");
                double low = ropeNumber(rope, "low_freq_factor");
                double high = ropeNumber(rope, "high_freq_factor");
                JsonNode original = rope.remove("original_max_position_embeddings");
                if (original == null || !original.isIntegralNumber() || !original.canConvertToInt()) {
                    throw new IllegalArgumentException("field \"rope_scaling.original_max_position_embeddings\" must be "
                            + "an integer for rope_type \"llama3\", got " + original);
                }
                try {
                    scaling = RopeScaling.llama3(factor, low, high, original.asInt());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("field \"rope_scaling\": " + e.getMessage(), e);
                }
            }
            default -> throw refused("rope_scaling.rope_type", typeNode,
                    "rpo4j implements rope_type default, linear and llama3");
        }
        if (!rope.isEmpty()) {
            throw new IllegalArgumentException("field \"rope_scaling\" has keys " + new TreeSet<>(rope.keySet())
                    + " that rope_type \"" + type + "\" does not use; rpo4j does not know what they would change");
        }
        return scaling;
    }

    private static double ropeNumber(Map<String, JsonNode> rope, String key) {
        JsonNode v = rope.remove(key);
        if (v == null || !v.isNumber()) {
            throw new IllegalArgumentException("field \"rope_scaling." + key + "\" must be a number, got " + v);
        }
        return v.asDouble();
    }

    /** eos_token_id as one id, a list of ids, or null. */
    static List<Integer> endTokenIds(JsonNode v, String field) {
        List<Integer> ids = new ArrayList<>();
        if (v == null || v.isNull()) {
            return ids;
        }
        if (v.isArray()) {
            for (int i = 0; i < v.size(); i++) {
                ids.add(tokenId(v.get(i), field + "[" + i + "]"));
            }
        } else {
            ids.add(tokenId(v, field));
        }
        return ids;
    }

    private static int tokenId(JsonNode v, String field) {
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a token id (an integer >= 0), got " + v);
        }
        return v.asInt();
    }

    /** A refusal naming the field and its value. */
    private static IllegalArgumentException refused(String field, Object value, String why) {
        return new IllegalArgumentException("field \"" + field + "\" = " + value + " is not supported: " + why);
    }

    /** Reads {@code field} and refuses it when present, non-null and not {@code acceptable}. */
    private static void refuseUnless(Fields f, String field, java.util.function.Predicate<JsonNode> acceptable,
                                     String why) {
        JsonNode v = f.get(field);
        if (v != null && !v.isNull() && !acceptable.test(v)) {
            throw refused(field, v, why);
        }
    }

    private static int positive(int value, String field) {
        if (value <= 0) {
            throw new IllegalArgumentException("field \"" + field + "\" must be > 0, got " + value);
        }
        return value;
    }

    private static double positiveNumber(double value, String field) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a number > 0, got " + value);
        }
        return value;
    }

    private static void divides(int divisor, String divisorField, int value, String valueField) {
        if (value % divisor != 0) {
            throw new IllegalArgumentException("field \"" + divisorField + "\" = " + divisor + " must divide field \""
                    + valueField + "\" = " + value);
        }
    }

    /** A config.json object that records which fields were read, so the unread ones can be reported. */
    private static final class Fields {
        private final JsonNode node;
        private final Set<String> read = new LinkedHashSet<>();

        Fields(JsonNode node) {
            this.node = node;
        }

        JsonNode get(String field) {
            read.add(field);
            return node.get(field);
        }

        boolean present(String field) {
            JsonNode v = get(field);
            return v != null && !v.isNull();
        }

        int integer(String field, Integer fallback) {
            JsonNode v = get(field);
            if (v == null || v.isNull()) {
                if (fallback != null) {
                    return fallback;
                }
                throw new IllegalArgumentException("missing field \"" + field + "\"");
            }
            if (!v.canConvertToInt() || !v.isIntegralNumber()) {
                throw new IllegalArgumentException("field \"" + field + "\" must be an integer, got " + v);
            }
            return v.asInt();
        }

        double number(String field, double fallback) {
            JsonNode v = get(field);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isNumber()) {
                throw new IllegalArgumentException("field \"" + field + "\" must be a number, got " + v);
            }
            return v.asDouble();
        }

        boolean bool(String field, boolean fallback) {
            JsonNode v = get(field);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isBoolean()) {
                throw new IllegalArgumentException("field \"" + field + "\" must be true or false, got " + v);
            }
            return v.asBoolean();
        }

        String text(String field, String fallback) {
            JsonNode v = get(field);
            if (v == null || v.isNull()) {
                if (fallback != null) {
                    return fallback;
                }
                throw new IllegalArgumentException("missing or non-text field \"" + field + "\"");
            }
            if (!v.isTextual()) {
                throw new IllegalArgumentException("field \"" + field + "\" must be text, got " + v);
            }
            return v.asText();
        }
    }

    /** Writes config.json into a directory (not atomically; the checkpoint writer publishes the directory whole). */
    public void write(Path file) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
    }
}
