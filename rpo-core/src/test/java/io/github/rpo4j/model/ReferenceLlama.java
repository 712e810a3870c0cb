package io.github.rpo4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * An independent Llama forward for tests: plain double loops over one sequence, reading config.json by
 * Hugging Face's field names and the tensors by Hugging Face's names, written from Hugging Face's
 * LlamaForCausalLM and modeling_rope_utils (default, linear and llama3 rope types) without any of
 * rpo4j's model, tensor or config code.
 */
final class ReferenceLlama {

    private final JsonNode config;
    private final Map<String, float[]> w;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int inner;
    private final int vocab;
    private final double eps;
    private final double[] invFreq;
    private final boolean useAttentionBias;
    private final boolean useMlpBias;

    /**
     * @param config  config.json
     * @param weights tensors by Hugging Face name, row-major
     */
    ReferenceLlama(JsonNode config, Map<String, float[]> weights) {
        this.config = config;
        this.w = weights;
        hidden = config.get("hidden_size").asInt();
        heads = config.get("num_attention_heads").asInt();
        kvHeads = config.has("num_key_value_heads") ? config.get("num_key_value_heads").asInt() : heads;
        headDim = config.hasNonNull("head_dim") ? config.get("head_dim").asInt() : hidden / heads;
        inner = config.get("intermediate_size").asInt();
        vocab = config.get("vocab_size").asInt();
        eps = config.get("rms_norm_eps").asDouble();
        useAttentionBias = config.path("attention_bias").asBoolean(false);
        useMlpBias = config.path("mlp_bias").asBoolean(false);
        invFreq = inverseFrequencies(config, headDim);
    }

    /**
     * _compute_default_rope_parameters, then _compute_linear_scaling_rope_parameters or _compute_llama3_parameters.
     * The settings are in rope_parameters (transformers 5, theta included) or in rope_scaling and rope_theta (4.x),
     * whose rope type was once named "type".
     */
    static double[] inverseFrequencies(JsonNode config, int dim) {
        JsonNode scaling = config.hasNonNull("rope_parameters") ? config.get("rope_parameters") : config.get("rope_scaling");
        double base = config.hasNonNull("rope_parameters") ? scaling.get("rope_theta").asDouble()
                : config.path("rope_theta").asDouble(10000);
        double[] f = new double[dim / 2];
        for (int j = 0; j < f.length; j++) {
            f[j] = 1.0 / Math.pow(base, (2.0 * j) / dim);
        }
        String type = scaling == null || scaling.isNull() ? "default"
                : scaling.path("rope_type").asText(scaling.path("type").asText("default"));
        if (type.equals("linear")) {
            for (int j = 0; j < f.length; j++) {
                f[j] /= scaling.get("factor").asDouble();
            }
        } else if (type.equals("llama3")) {
            double factor = scaling.get("factor").asDouble();
            double low = scaling.get("low_freq_factor").asDouble();
            double high = scaling.get("high_freq_factor").asDouble();
            double old = scaling.get("original_max_position_embeddings").asDouble();
            double lowWavelen = old / low;
            double highWavelen = old / high;
            for (int j = 0; j < f.length; j++) {
                double wavelen = 2 * Math.PI / f[j];
                double llama = wavelen > lowWavelen ? f[j] / factor : f[j];
                double smooth = (old / wavelen - low) / (high - low);
                double smoothed = (1 - smooth) * llama / factor + smooth * llama;
                boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
                f[j] = medium ? smoothed : llama;
            }
        } else if (!type.equals("default")) {
            throw new IllegalArgumentException("the reference has no rope type " + type);
        }
        return f;
    }

    /** Log-softmax of the logits at every position of {@code ids}: (T, V). */
    double[][] logProbs(int[] ids) {
        int t = ids.length;
        double[][] x = new double[t][];
        for (int i = 0; i < t; i++) {
            x[i] = row(w.get("model.embed_tokens.weight"), ids[i], hidden);
        }
        int layers = config.get("num_hidden_layers").asInt();
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            double[][] q = new double[t][];
            double[][] k = new double[t][];
            double[][] v = new double[t][];
            for (int i = 0; i < t; i++) {
                double[] h = rmsNorm(x[i], w.get(p + "input_layernorm.weight"));
                q[i] = rotate(linear(p + "self_attn.q_proj", h, heads * headDim, useAttentionBias), heads, i);
                k[i] = rotate(linear(p + "self_attn.k_proj", h, kvHeads * headDim, useAttentionBias), kvHeads, i);
                v[i] = linear(p + "self_attn.v_proj", h, kvHeads * headDim, useAttentionBias);
            }
            int group = heads / kvHeads;
            for (int i = 0; i < t; i++) {
                double[] attended = new double[heads * headDim];
                for (int head = 0; head < heads; head++) {
                    int kvHead = head / group;
                    double[] scores = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += q[i][head * headDim + d] * k[j][kvHead * headDim + d];
                        }
                        scores[j] = dot / Math.sqrt(headDim);
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int d = 0; d < headDim; d++) {
                            attended[head * headDim + d] += scores[j] / sum * v[j][kvHead * headDim + d];
                        }
                    }
                }
                double[] o = linear(p + "self_attn.o_proj", attended, hidden, useAttentionBias);
                for (int c = 0; c < hidden; c++) {
                    x[i][c] += o[c];
                }
                double[] h = rmsNorm(x[i], w.get(p + "post_attention_layernorm.weight"));
                double[] gate = linear(p + "mlp.gate_proj", h, inner, useMlpBias);
                double[] up = linear(p + "mlp.up_proj", h, inner, useMlpBias);
                double[] act = new double[inner];
                for (int m = 0; m < inner; m++) {
                    act[m] = gate[m] / (1 + Math.exp(-gate[m])) * up[m];
                }
                double[] down = linear(p + "mlp.down_proj", act, hidden, useMlpBias);
                for (int c = 0; c < hidden; c++) {
                    x[i][c] += down[c];
                }
            }
        }
        boolean tied = config.path("tie_word_embeddings").asBoolean(false);
        float[] head = w.get(tied ? "model.embed_tokens.weight" : "lm_head.weight");
        double[][] out = new double[t][vocab];
        for (int i = 0; i < t; i++) {
            double[] h = rmsNorm(x[i], w.get("model.norm.weight"));
            double max = Double.NEGATIVE_INFINITY;
            for (int s = 0; s < vocab; s++) {
                out[i][s] = dot(head, s, h);
                max = Math.max(max, out[i][s]);
            }
            double sum = 0;
            for (int s = 0; s < vocab; s++) {
                sum += Math.exp(out[i][s] - max);
            }
            double logSum = max + Math.log(sum);
            for (int s = 0; s < vocab; s++) {
                out[i][s] -= logSum;
            }
        }
        return out;
    }

    private static double[] row(float[] matrix, int r, int width) {
        double[] out = new double[width];
        for (int c = 0; c < width; c++) {
            out[c] = matrix[r * width + c];
        }
        return out;
    }

    private static double dot(float[] matrix, int r, double[] x) {
        double s = 0;
        for (int c = 0; c < x.length; c++) {
            s += matrix[r * x.length + c] * x[c];
        }
        return s;
    }

    /** nn.Linear: W (out, in) applied as W x, plus the bias when the layer has one. */
    private double[] linear(String name, double[] x, int out, boolean bias) {
        float[] weight = w.get(name + ".weight");
        float[] b = bias ? w.get(name + ".bias") : null;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            y[o] = dot(weight, o, x) + (b == null ? 0 : b[o]);
        }
        return y;
    }

    private double[] rmsNorm(double[] x, float[] gain) {
        double ms = 0;
        for (double value : x) {
            ms += value * value;
        }
        double scale = 1 / Math.sqrt(ms / x.length + eps);
        double[] y = new double[x.length];
        for (int c = 0; c < x.length; c++) {
            y[c] = x[c] * scale * gain[c];
        }
        return y;
    }

    /** apply_rotary_pos_emb at position {@code pos}: x cos + rotate_half(x) sin, rotate_half(x) = [-x2, x1]. */
    private double[] rotate(double[] x, int headCount, int pos) {
        double[] y = new double[x.length];
        int half = headDim / 2;
        for (int h = 0; h < headCount; h++) {
            int o = h * headDim;
            for (int j = 0; j < half; j++) {
                double cos = Math.cos(pos * invFreq[j]);
                double sin = Math.sin(pos * invFreq[j]);
                double x1 = x[o + j];
                double x2 = x[o + j + half];
                y[o + j] = x1 * cos - x2 * sin;
                y[o + j + half] = x2 * cos + x1 * sin;
            }
        }
        return y;
    }
}
