"""A PyTorch peer of the quickstart M0 recipe (StartingModel.Settings.quickstart()): the same
character-level GPT-2 (4 layers, width 128, 4 heads, context 224), initialisation, AdamW, schedule
(100 warm-up steps, cosine to 10%), clipping at 1.0 and loss on every token after the first, trained
on the same 4,000 problems; greedy accuracy on the first 200 test problems at steps 1,500 and 1,750
and at the end. It checks that M0's accuracy is the recipe's, not an artefact of rpo4j's kernels.

Write the data, then run it with one thread:
  java -cp examples/target/rpo4j.jar:examples/target/test-classes \
      io.github.rpo4j.examples.WriteQuickstartSplit /tmp/split
  cd /tmp/split && /usr/bin/python3 path/to/sft_peer.py SEED STEPS
"""
import json, math, random, sys, time, re
import torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(1)
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
loss_on_prompt = (sys.argv[3] == '1') if len(sys.argv) > 3 else True
torch.manual_seed(seed); random.seed(seed)
alpha = open('alphabet.txt').read().rstrip('\n')
stoi = {c: i for i, c in enumerate(alpha)}; EOS = len(alpha); V = len(alpha) + 1
train = [json.loads(l) for l in open('train.jsonl')][:4000]
test = [json.loads(l) for l in open('test.jsonl')][:200]
CTX, L, C, H = 224, 4, 128, 4
class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.ln1 = nn.LayerNorm(C); s.attn = nn.Linear(C, 3*C); s.proj = nn.Linear(C, C)
        s.ln2 = nn.LayerNorm(C); s.fc = nn.Linear(C, 4*C); s.fc2 = nn.Linear(4*C, C)
    def forward(s, x):
        B, T, _ = x.shape
        q, k, v = s.attn(s.ln1(x)).split(C, 2)
        q, k, v = [t.view(B, T, H, C//H).transpose(1, 2) for t in (q, k, v)]
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True) if hasattr(F, 'scaled_dot_product_attention') else None
        if y is None:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(C//H)
            att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float('-inf')).softmax(-1)
            y = att @ v
        x = x + s.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + s.fc2(F.gelu(s.fc(s.ln2(x)), approximate='tanh'))
class GPT(nn.Module):
    def __init__(s):
        super().__init__(); s.wte = nn.Embedding(V, C); s.wpe = nn.Embedding(CTX, C)
        s.blocks = nn.ModuleList([Block() for _ in range(L)]); s.lnf = nn.LayerNorm(C)
        for n, p in s.named_parameters():
            if p.dim() >= 2: nn.init.normal_(p, 0, 0.02 / math.sqrt(2*L) if n.endswith('proj.weight') or n.endswith('fc2.weight') else 0.02)
            elif 'ln' not in n: nn.init.zeros_(p)
    def forward(s, idx):
        x = s.wte(idx) + s.wpe(torch.arange(idx.shape[1]))
        for b in s.blocks: x = b(x)
        return s.lnf(x) @ s.wte.weight.T
m = GPT(); print('params', sum(p.numel() for p in m.parameters()))
def enc(s): return [stoi[c] for c in s]
data = []
for ex in train:
    p, c = enc(ex['prompt']), enc(ex['chain']) + [EOS]
    ids = p + c
    tgt = ids[1:] if loss_on_prompt else [-100] * (len(p) - 1) + c
    data.append((ids[:-1], tgt))
opt = torch.optim.AdamW(m.parameters(), lr=2e-3, weight_decay=0.0)
def lr_at(t):
    if t < 100: return 2e-3 * (t + 1) / 100
    prog = (t - 100) / max(1, steps - 100); return 2e-3 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * prog)))
def evaluate():
    m.eval(); ok = 0
    with torch.no_grad():
        for ex in test:
            ids = enc(ex['prompt'])
            for _ in range(120):
                nxt = m(torch.tensor([ids[-CTX:]]))[0, -1].argmax().item()
                if nxt == EOS: break
                ids.append(nxt)
            out = ''.join(alpha[i] for i in ids[len(enc(ex['prompt'])):])
            mm = re.findall(r'The answer is (-?\d+)', out)
            ok += bool(mm) and mm[-1] == ex['answer']
    m.train(); return ok / len(test)
order = []; t0 = time.time()
for t in range(steps):
    if not order: order = list(range(len(data))); random.shuffle(order)
    batch = [data[order.pop()] for _ in range(16)]
    T = max(len(x) for x, _ in batch)
    X = torch.tensor([x + [EOS] * (T - len(x)) for x, _ in batch]); Y = torch.tensor([y + [-100] * (T - len(y)) for _, y in batch])
    for g in opt.param_groups: g['lr'] = lr_at(t)
    loss = F.cross_entropy(m(X).view(-1, V), Y.view(-1), ignore_index=-100)
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    if t % 250 == 0 or t == steps - 1: print(t, round(loss.item(), 4), round(time.time() - t0), flush=True)
    if (t + 1) in (1500, 1750, steps): print('step', t + 1, 'greedy acc', evaluate(), flush=True)
