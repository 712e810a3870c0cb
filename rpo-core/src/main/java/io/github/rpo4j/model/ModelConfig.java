package io.github.rpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shape of a decoder-only transformer. Serialised as a Hugging Face {@code config.json}
 * with each family's own field names (GPT-2: n_embd, n_layer, n_head, n_positions; Llama:
 * hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, ...).
 *
 * @param family           GPT-2 or Llama
 * @param vocabSize        number of token ids
 * @param contextLength    the longest sequence (n_positions / max_position_embeddings)
 * @param layers           transformer blocks
 * @param width            model width C (n_embd / hidden_size)
 * @param heads            query heads H; the head width is C / H
 * @param kvHeads          key/value heads (H for GPT-2; fewer than H for grouped-query attention)
 * @param mlpWidth         hidden width of the MLP (4C for GPT-2; intermediate_size for Llama)
 * @param normEps          LayerNorm / RMSNorm epsilon
 * @param ropeTheta        RoPE base (Llama)
 * @param tieEmbeddings    whether the output head reuses the token embedding
 * @param eosTokenId       end-of-sequence id, or -1
 */
public record ModelConfig(Family family, int vocabSize, int contextLength, int layers, int width, int heads,
                          int kvHeads, int mlpWidth, double normEps, double ropeTheta, boolean tieEmbeddings,
                          int eosTokenId) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(contextLength > 0, "context length", contextLength);
        require(layers > 0, "number of layers", layers);
        require(heads > 0 && width % heads == 0, "heads (must divide the width " + width + ")", heads);
        require(kvHeads > 0 && heads % kvHeads == 0, "key/value heads (must divide the heads " + heads + ")", kvHeads);
        require(mlpWidth > 0, "MLP width", mlpWidth);
        require(family != Family.LLAMA || (width / heads) % 2 == 0, "head width (even for RoPE)", width / heads);
        require(normEps > 0, "norm epsilon", normEps);
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

    public ModelConfig withEosTokenId(int id) {
        return new ModelConfig(family, vocabSize, contextLength, layers, width, heads, kvHeads, mlpWidth, normEps,
                ropeTheta, tieEmbeddings, id);
    }

    public ModelConfig withTieEmbeddings(boolean tie) {
        return new ModelConfig(family, vocabSize, contextLength, layers, width, heads, kvHeads, mlpWidth, normEps,
                ropeTheta, tie, eosTokenId);
    }

    public int headWidth() {
        return width / heads;
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
            n.put("rms_norm_eps", normEps);
            n.put("rope_theta", ropeTheta);
            n.put("hidden_act", "silu");
        }
        n.put("tie_word_embeddings", tieEmbeddings);
        if (eosTokenId >= 0) {
            n.put("eos_token_id", eosTokenId);
        }
        n.put("torch_dtype", "float32");
        return n;
    }

    /** Reads config.json; errors name the file and the field. */
    public static ModelConfig read(Path file) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        try {
            return fromJson(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a config.json tree of either family. */
    public static ModelConfig fromJson(JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("config is not a JSON object");
        }
        Family family = Family.fromModelType(text(n, "model_type"));
        int vocab = integer(n, "vocab_size", null);
        int eos = n.hasNonNull("eos_token_id") && n.get("eos_token_id").isInt() ? n.get("eos_token_id").asInt() : -1;
        if (family == Family.GPT2) {
            int width = integer(n, "n_embd", null);
            int heads = integer(n, "n_head", null);
            int ctx = integer(n, "n_positions", null);
            int inner = n.hasNonNull("n_inner") ? integer(n, "n_inner", null) : 4 * width;
            double eps = n.hasNonNull("layer_norm_epsilon") ? n.get("layer_norm_epsilon").asDouble() : 1e-5;
            boolean tie = !n.has("tie_word_embeddings") || n.get("tie_word_embeddings").asBoolean();
            positive(vocab, "vocab_size");
            positive(width, "n_embd");
            positive(heads, "n_head");
            positive(ctx, "n_positions");
            positive(inner, "n_inner");
            divides(heads, "n_head", width, "n_embd");
            int layers = positive(integer(n, "n_layer", null), "n_layer");
            return new ModelConfig(family, vocab, ctx, layers, width, heads, heads, inner, eps, 10000, tie, eos);
        }
        int width = integer(n, "hidden_size", null);
        int heads = integer(n, "num_attention_heads", null);
        int kv = n.hasNonNull("num_key_value_heads") ? integer(n, "num_key_value_heads", null) : heads;
        double eps = n.hasNonNull("rms_norm_eps") ? n.get("rms_norm_eps").asDouble() : 1e-6;
        double theta = n.hasNonNull("rope_theta") ? n.get("rope_theta").asDouble() : 10000;
        boolean tie = n.has("tie_word_embeddings") && n.get("tie_word_embeddings").asBoolean();
        positive(vocab, "vocab_size");
        positive(width, "hidden_size");
        positive(heads, "num_attention_heads");
        positive(kv, "num_key_value_heads");
        divides(heads, "num_attention_heads", width, "hidden_size");
        divides(kv, "num_key_value_heads", heads, "num_attention_heads");
        if ((width / heads) % 2 != 0) {
            throw new IllegalArgumentException("field \"hidden_size\" / \"num_attention_heads\" = " + width / heads
                    + " must be even for rotary position embeddings");
        }
        return new ModelConfig(family, vocab, positive(integer(n, "max_position_embeddings", null), "max_position_embeddings"),
                positive(integer(n, "num_hidden_layers", null), "num_hidden_layers"), width, heads, kv,
                positive(integer(n, "intermediate_size", null), "intermediate_size"), eps, theta, tie, eos);
    }

    private static int positive(int value, String field) {
        if (value <= 0) {
            throw new IllegalArgumentException("field \"" + field + "\" must be > 0, got " + value);
        }
        return value;
    }

    private static void divides(int divisor, String divisorField, int value, String valueField) {
        if (value % divisor != 0) {
            throw new IllegalArgumentException("field \"" + divisorField + "\" = " + divisor + " must divide field \""
                    + valueField + "\" = " + value);
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("missing or non-text field \"" + field + "\"");
        }
        return v.asText();
    }

    private static int integer(JsonNode n, String field, Integer fallback) {
        JsonNode v = n.get(field);
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

    /** Writes config.json into a directory (not atomically; the checkpoint writer publishes the directory whole). */
    public void write(Path file) throws IOException {
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()));
    }
}
