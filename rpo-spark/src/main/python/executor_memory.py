"""Memory a Spark executor needs to sample with rpo4j, computed from model shapes (docs/distributed.md).

Parameter counts come from the shapes in each release's config.json; models are held in float32. Per task (one
per executor core): the weights, twice the KV cache of one chunk (the sampler copies the cache to the remaining
rows while the old copy is held), and one step's logits and log-probabilities. Per executor, once: the broadcast
model bytes (float32, as ModelDirectory.save writes them).

usage: python3 executor_memory.py [ROWS [POSITIONS [CORES]]]   (defaults: 240 rows, 512 positions, 4 cores)
"""
import sys

FLOAT = 4  # bytes


def llama_like(name, hidden, mlp, layers, heads, kv_heads, head_width, vocab, tied, qkv_bias=False, qk_norm=False):
    """Llama, Mistral, Qwen2 (q/k/v biases) and Qwen3 (q/k norms): gated MLP, RMS norms, grouped K/V heads."""
    attention = (hidden * heads * head_width + 2 * hidden * kv_heads * head_width + heads * head_width * hidden
                 + ((heads + 2 * kv_heads) * head_width if qkv_bias else 0) + (2 * head_width if qk_norm else 0))
    layer = attention + 3 * hidden * mlp + 2 * hidden
    params = vocab * hidden + layers * layer + hidden + (0 if tied else vocab * hidden)
    return name, params, layers, kv_heads, head_width, vocab


def gpt2(name, hidden, layers, vocab, context):
    """GPT-2: learned positions, biases everywhere, 4x MLP, tied output head; heads of width 64."""
    layer = 2 * hidden + (3 * hidden * hidden + 3 * hidden) + (hidden * hidden + hidden) + 2 * hidden \
        + (4 * hidden * hidden + 4 * hidden) + (4 * hidden * hidden + hidden)
    params = vocab * hidden + context * hidden + layers * layer + 2 * hidden
    return name, params, layers, hidden // 64, 64, vocab


MODELS = [
    gpt2("GPT-2 124M", 768, 12, 50257, 1024),
    llama_like("Qwen2.5-0.5B", 896, 4864, 24, 14, 2, 64, 151936, tied=True, qkv_bias=True),
    llama_like("Qwen3-0.6B", 1024, 3072, 28, 16, 8, 128, 151936, tied=True, qk_norm=True),
    llama_like("Llama-3.2-1B", 2048, 8192, 16, 32, 8, 64, 128256, tied=True),
    llama_like("Qwen2.5-1.5B", 1536, 8960, 28, 12, 2, 128, 151936, tied=True, qkv_bias=True),
    llama_like("Llama-3.2-3B", 3072, 8192, 28, 24, 8, 128, 128256, tied=True),
    llama_like("Mistral-7B-v0.1", 4096, 14336, 32, 32, 8, 128, 32000, tied=False),
    llama_like("Qwen2.5-7B", 3584, 18944, 28, 28, 4, 128, 152064, tied=False, qkv_bias=True),
]


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 240
    positions = int(sys.argv[2]) if len(sys.argv) > 2 else 512
    cores = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    gb = 1e9
    print(f"| model | parameters | weights | KV per row and position | KV cache, {rows} rows x {positions} "
          f"| per task | executor, {cores} cores |")
    print("|---|---|---|---|---|---|---|")
    for name, params, layers, kv_heads, head_width, vocab in MODELS:
        weights = FLOAT * params
        kv_per_position = 2 * layers * kv_heads * head_width * FLOAT
        kv = kv_per_position * rows * positions
        logits = 2 * rows * vocab * FLOAT
        task = weights + 2 * kv + logits
        executor = cores * task + weights
        count = f"{params / 1e9:.2f} B" if params >= 1e9 else f"{params / 1e6:.0f} M"
        print(f"| {name} | {count} | {weights / gb:.2f} | {kv_per_position // 1024} KiB | {kv / gb:.1f} "
              f"| {task / gb:.1f} | {executor / gb:.0f} |")


if __name__ == "__main__":
    main()
