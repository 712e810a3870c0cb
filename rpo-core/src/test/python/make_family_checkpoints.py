#!/usr/bin/env python3
"""Writes the small random checkpoints of the Qwen2, Mistral and Qwen3 families that FamilyCheckpointTest loads,
with the log-probabilities an independent forward gives them.

Each case is a directory under rpo-core/src/test/resources/checkpoints/: config.json as `transformers` writes it,
model.safetensors in Hugging Face's tensor names and dtype (float32 or bfloat16), and expected.json with the
token ids and the log-probabilities (T, V) of every next token. The forward below is plain PyTorch in float64,
written from the formulas of transformers' Qwen2ForCausalLM, MistralForCausalLM and Qwen3ForCausalLM (RMSNorm,
rotary positions, grouped-query attention with the causal and sliding-window masks, SwiGLU); it shares no code
with rpo4j and does not need `transformers`. For each case the script also checks that the feature under test
changes the log-probabilities by more than 0.05 nats, so the Java test would catch it being ignored.

Run from the repository root (needs only torch; any version with torch.bfloat16):
    python3 rpo-core/src/test/python/make_family_checkpoints.py
The output is deterministic for a given torch version (torch.manual_seed per case).
"""
import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "checkpoints")
VOCAB = 40
# 24 tokens: longer than every sliding window below, so decoding crosses the window boundary.
IDS = [3, 17, 25, 4, 9, 33, 12, 1, 38, 21, 7, 30, 14, 2, 27, 19, 5, 36, 11, 23, 8, 29, 16, 35]


def base_config(model_type, architecture):
    return {
        "architectures": [architecture],
        "attention_dropout": 0.0,
        "bos_token_id": 1,
        "eos_token_id": 0,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 48,
        "max_position_embeddings": 64,
        "model_type": model_type,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-6,
        "rope_theta": 100.0,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "transformers_version": "4.51.0",
        "use_cache": True,
        "vocab_size": VOCAB,
    }


def head_dim(c):
    if c.get("head_dim") is not None:
        return c["head_dim"]
    return 128 if c["model_type"] == "qwen3" else c["hidden_size"] // c["num_attention_heads"]


def shapes(c):
    """Tensor names and shapes as the transformers classes build their layers."""
    t = c["model_type"]
    w, m, d = c["hidden_size"], c["intermediate_size"], head_dim(c)
    q, kv = c["num_attention_heads"] * d, c["num_key_value_heads"] * d
    qkv_bias = t == "qwen2" or (t == "qwen3" and c.get("attention_bias", False))
    o_bias = t == "qwen3" and c.get("attention_bias", False)
    s = {"model.embed_tokens.weight": (VOCAB, w)}
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        s[p + "input_layernorm.weight"] = (w,)
        for name, out, inp, bias in (("q_proj", q, w, qkv_bias), ("k_proj", kv, w, qkv_bias),
                                     ("v_proj", kv, w, qkv_bias), ("o_proj", w, q, o_bias)):
            s[p + "self_attn." + name + ".weight"] = (out, inp)
            if bias:
                s[p + "self_attn." + name + ".bias"] = (out,)
        if t == "qwen3":
            s[p + "self_attn.q_norm.weight"] = (d,)
            s[p + "self_attn.k_norm.weight"] = (d,)
        s[p + "post_attention_layernorm.weight"] = (w,)
        s[p + "mlp.gate_proj.weight"] = (m, w)
        s[p + "mlp.up_proj.weight"] = (m, w)
        s[p + "mlp.down_proj.weight"] = (w, m)
    s["model.norm.weight"] = (w,)
    if not c["tie_word_embeddings"]:
        s["lm_head.weight"] = (VOCAB, w)
    return s


def random_weights(c, seed, dtype):
    """Gains 1 + N(0, 0.3^2), everything else (biases included) N(0, 0.3^2), rounded to the stored dtype."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in shapes(c).items():
        v = torch.randn(shape, generator=g, dtype=torch.float64) * 0.3
        if name.endswith("norm.weight"):
            v = v + 1.0
        out[name] = v.to(dtype)
    return out


def window_of_layer(c, layer):
    """The sliding window of a layer (None for full attention), as the transformers configurations define it."""
    t = c["model_type"]
    if t == "mistral":
        return c.get("sliding_window", 4096)
    if t in ("qwen2", "qwen3"):
        if not c.get("use_sliding_window", False):
            return None
        window = c.get("sliding_window", 4096)
        return window if window is not None and layer >= c.get("max_window_layers", 28) else None
    return None


def rms_norm(x, weight, eps):
    return weight * (x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def log_probs(c, weights, ids, qk_norm=True):
    """(T, V) log-probabilities of the next token after each position, in float64; qk_norm=False leaves out
    Qwen3's q_norm and k_norm (to measure what they change)."""
    w = {k: v.to(torch.float64) for k, v in weights.items()}
    t = len(ids)
    heads, kv_heads, d = c["num_attention_heads"], c["num_key_value_heads"], head_dim(c)
    eps = c["rms_norm_eps"]
    inv_freq = 1.0 / (c["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.float64) / d))  # (D/2)
    angles = torch.outer(torch.arange(t, dtype=torch.float64), inv_freq)  # (T, D/2)
    cos = torch.cat((angles, angles), -1).cos()[:, None, :]  # (T, 1, D)
    sin = torch.cat((angles, angles), -1).sin()[:, None, :]
    x = w["model.embed_tokens.weight"][torch.tensor(ids)]  # (T, C)
    query_pos = torch.arange(t)[:, None]
    key_pos = torch.arange(t)[None, :]

    def linear(name, h):
        y = h @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(p + "self_attn.q_proj", h).view(t, heads, d)  # (T, H, D)
        k = linear(p + "self_attn.k_proj", h).view(t, kv_heads, d)  # (T, Hkv, D)
        v = linear(p + "self_attn.v_proj", h).view(t, kv_heads, d)
        if c["model_type"] == "qwen3" and qk_norm:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = torch.arange(heads) // (heads // kv_heads)  # query head h reads key/value head h / (H / Hkv)
        k, v = k[:, group], v[:, group]  # (T, H, D)
        scores = torch.einsum("thd,shd->hts", q, k) / math.sqrt(d)  # (H, T, T)
        allowed = key_pos <= query_pos
        window = window_of_layer(c, l)
        if window is not None:
            allowed = allowed & (key_pos > query_pos - window)  # window positions, the query's own included
        scores = scores.masked_fill(~allowed, float("-inf"))
        attn = torch.einsum("hts,shd->thd", scores.softmax(-1), v).reshape(t, heads * d)
        x = x + linear(p + "self_attn.o_proj", attn)
        h2 = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = linear(p + "mlp.gate_proj", h2)
        x = x + linear(p + "mlp.down_proj", gate * torch.sigmoid(gate) * linear(p + "mlp.up_proj", h2))
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if c["tie_word_embeddings"] else w["lm_head.weight"]
    return (x @ head.T).log_softmax(-1)


SAFETENSORS_DTYPES = {torch.float32: ("F32", torch.int32), torch.bfloat16: ("BF16", torch.int16)}


def write_safetensors(path, tensors):
    """The safetensors layout: 8-byte little-endian header length, JSON header (padded to 8 bytes), data."""
    header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        dtype, bits = SAFETENSORS_DTYPES[value.dtype]
        blob = value.contiguous().view(bits).numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(value.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def write_case(name, config, seed, dtype, feature_off):
    """feature_off: the config without the feature under test, which must change the log-probabilities."""
    weights = random_weights(config, seed, dtype)
    expected = log_probs(config, weights, IDS)
    off_config, off_weights, off_options = feature_off(dict(config), dict(weights))
    effect = (expected - log_probs(off_config, off_weights, IDS, **off_options)).abs().max().item()
    assert effect > 0.05, f"{name}: the feature changes the log-probabilities by only {effect}"
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    write_safetensors(os.path.join(directory, "model.safetensors"), weights)
    with open(os.path.join(directory, "expected.json"), "w") as f:
        json.dump({"ids": IDS, "featureEffect": round(effect, 4),
                   "logProbs": [[float(f"{v:.7g}") for v in row] for row in expected.tolist()]}, f)
        f.write("\n")
    print(f"{name}: {len(weights)} tensors, feature effect {effect:.3f} nats")


def without_biases(c, w):
    return c, {k: (torch.zeros_like(v) if k.endswith(".bias") else v) for k, v in w.items()}, {}


def without_window(c, w):
    return {**c, "use_sliding_window": False}, w, {}


def without_qk_norm(c, w):
    return c, w, {"qk_norm": False}


def main():
    # Qwen2.5 0.5B's layout: q/k/v biases, tied embeddings, a window configured but not used, bfloat16.
    qwen2 = base_config("qwen2", "Qwen2ForCausalLM")
    qwen2.update({"tie_word_embeddings": True, "torch_dtype": "bfloat16", "use_sliding_window": False,
                  "sliding_window": 64, "max_window_layers": 2, "use_mrope": False})
    write_case("qwen2", qwen2, 1, torch.bfloat16, without_biases)

    # Qwen2 with use_sliding_window: layer 0 full, layer 1 in a window of 5 (max_window_layers 1).
    qwen2_window = base_config("qwen2", "Qwen2ForCausalLM")
    qwen2_window.update({"use_sliding_window": True, "sliding_window": 5, "max_window_layers": 1})
    write_case("qwen2-sliding-window", qwen2_window, 2, torch.float32, without_window)

    # Mistral: every layer in a window of 6, no biases, untied head.
    mistral = base_config("mistral", "MistralForCausalLM")
    mistral.update({"sliding_window": 6, "head_dim": None})
    write_case("mistral", mistral, 3, torch.float32,
               lambda c, w: ({**c, "sliding_window": None}, w, {}))

    # Qwen3 0.6B's layout: q_norm/k_norm, head_dim 16 (not hidden_size / heads = 8), tied embeddings, bfloat16.
    qwen3 = base_config("qwen3", "Qwen3ForCausalLM")
    qwen3.update({"head_dim": 16, "attention_bias": False, "tie_word_embeddings": True, "torch_dtype": "bfloat16",
                  "use_sliding_window": False, "sliding_window": None, "max_window_layers": 2, "rope_scaling": None})
    write_case("qwen3", qwen3, 4, torch.bfloat16, without_qk_norm)


if __name__ == "__main__":
    main()
