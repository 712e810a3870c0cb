"""The PyTorch peer of rpo4j's Throughput benchmark: the same GPT-2 family model and the same work.

Training: AdamW (lr 1e-3, PyTorch's defaults otherwise) on mean cross-entropy over B rows of T random
token ids against random targets; 3 warm-up steps, then --train-steps timed steps.
Sampling: 32 prompts of 16 random tokens, 96 new tokens each at temperature 0.8 with a KV cache;
one warm-up call, then one timed call.

Usage (Debian's interpreter, packages python3-torch and libopenblas0-pthread):
    /usr/bin/python3 torch_peer.py --threads 1 S M L G
Prints one JSON line per configuration. --threads sets PyTorch's intra-op threads and OpenBLAS's
(through OMP_NUM_THREADS / OPENBLAS_NUM_THREADS, which must be set before torch loads OpenBLAS).
"""
import argparse
import json
import math
import os
import resource
import sys
import time

# name: vocabulary, context, layers, width, heads, training batch (as Throughput.Size)
SIZES = {
    "S": (64, 128, 4, 128, 4, 16),
    "M": (64, 256, 6, 256, 8, 8),
    "L": (512, 256, 8, 512, 8, 8),
    "G": (50257, 256, 12, 768, 12, 4),  # GPT-2 small's shape, context cut to 256
}
WARMUP_STEPS = 3
PROMPTS, PROMPT_TOKENS, NEW_TOKENS, TEMPERATURE = 32, 16, 96, 0.8


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--train-steps", type=int, default=10)
    p.add_argument("--no-sampling", action="store_true")
    p.add_argument("sizes", nargs="*", default=["S", "M", "L"])
    return p.parse_args()


ARGS = parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import torch  # noqa: E402  (after the thread variables)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class Attention(nn.Module):
    """Causal self-attention from one fused (C, 3C) projection; an optional cache of past keys/values."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)

    def forward(self, x, cache):
        b, t, c = x.shape
        d = c // self.heads
        # (B, T, 3C) -> three (B, H, T, D)
        q, k, v = self.c_attn(x).view(b, t, 3, self.heads, d).permute(2, 0, 3, 1, 4)
        if cache is not None:
            if "k" in cache:
                k = torch.cat((cache["k"], k), dim=2)
                v = torch.cat((cache["v"], v), dim=2)
            cache["k"], cache["v"] = k, v
        keys = k.shape[2]
        scores = q @ k.transpose(2, 3) * (1.0 / math.sqrt(d))  # (B, H, T, Tk)
        # query i sits at key position keys - t + i and sees keys up to it
        visible = torch.ones(t, keys, dtype=torch.bool).tril(keys - t)
        scores = scores.masked_fill(~visible, float("-inf"))
        y = scores.softmax(dim=-1) @ v  # (B, H, T, D)
        return self.c_proj(y.transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.c_fc = nn.Linear(width, 4 * width)
        self.mlp_proj = nn.Linear(4 * width, width)

    def forward(self, x, cache):
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT2(nn.Module):
    def __init__(self, vocab, context, layers, width, heads):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(context, width)
        self.h = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)

    def forward(self, ids, caches=None, start=0):
        t = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(start, start + t))
        for i, block in enumerate(self.h):
            x = block(x, None if caches is None else caches[i])
        return self.ln_f(x) @ self.wte.weight.t()  # tied output head, (B, T, V)


def measure(name, steps, sampling):
    vocab, context, layers, width, heads, batch = SIZES[name]
    torch.manual_seed(0)
    model = GPT2(vocab, context, layers, width, heads)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(0, vocab, (batch, context))
    targets = torch.randint(0, vocab, (batch, context))

    def train_step():
        loss = F.cross_entropy(model(ids).reshape(-1, vocab), targets.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(WARMUP_STEPS):
        train_step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        train_step()
    train_s, train_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    tokens = batch * context
    out = dict(config=name, V=vocab, T=context, L=layers, d=width, h=heads, B=batch, params=params,
               train_steps=steps, train_tokens_per_s=round(tokens * steps / train_s),
               train_ms_per_step=round(train_s * 1000 / steps, 1),
               train_cpu_ms_per_step=round(train_cpu_s * 1000 / steps, 1))

    if sampling:
        model.eval()

        @torch.no_grad()
        def sample():
            caches = [dict() for _ in range(layers)]
            logits = model(torch.randint(0, vocab, (PROMPTS, PROMPT_TOKENS)), caches, 0)
            for step in range(NEW_TOKENS):
                probs = F.softmax(logits[:, -1, :] / TEMPERATURE, dim=-1)
                logits = model(torch.multinomial(probs, 1), caches, PROMPT_TOKENS + step)

        sample()
        t0, c0 = time.perf_counter(), time.process_time()
        sample()
        s, cpu = time.perf_counter() - t0, time.process_time() - c0
        out["sample_tokens_per_s"] = round(PROMPTS * NEW_TOKENS / s)
        out["sample_cpu_tokens_per_s"] = round(PROMPTS * NEW_TOKENS / cpu)
    out["train_model_gflops"] = round(6.0 * params * tokens * steps / train_s / 1e9, 2)
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    out["threads"] = ARGS.threads
    out["torch"] = torch.__version__
    out["openblas_coretype"] = os.environ.get("OPENBLAS_CORETYPE", "unset")
    return out


if __name__ == "__main__":
    for size in ARGS.sizes:
        print(json.dumps(measure(size.upper(), ARGS.train_steps, not ARGS.no_sampling)), flush=True)
    sys.exit(0)
