// The PyTorch peer of the Transformer benchmarks: an equivalent pre-LN decoder (byte vocabulary,
// tied embeddings, learned positions, fused qkv, causal mask, FFN widths = the adaptive model's
// current widths, cross-entropy, clip-norm 1, Adam) trained on CPU with 1 thread, in a child
// process of /usr/bin/python3 (Debian python3-torch). Nothing is installed; when `import torch`
// fails the peer is skipped.
import { spawnSync } from 'node:child_process';

const PY = '/usr/bin/python3';

/**
 * The Python program: warm-up steps, then `timed` steps; prints "<version> <median ms> <maxrss KiB>
 * <median CPU ms>" (CPU time: the process's own, which on a shared machine does not grow with load).
 */
export function torchDecoderScript({ batch, seq, dModel, heads, vocab, widths, timed, warmup = 2 }) {
  return `
import math, resource, time, torch
import torch.nn.functional as F
torch.set_num_threads(1)
torch.manual_seed(0)
B, T, D, H, V = ${batch}, ${seq}, ${dModel}, ${heads}, ${vocab}
W = ${JSON.stringify(widths)}
def lin(i, o): return torch.nn.Linear(i, o)
class Block(torch.nn.Module):
    def __init__(s, w):
        super().__init__()
        s.ln1, s.qkv, s.out = torch.nn.LayerNorm(D), lin(D, 3 * D), lin(D, D)
        s.ln2, s.up, s.down = torch.nn.LayerNorm(D), lin(D, w), lin(w, D)
    def forward(s, x, mask):
        q, k, v = s.qkv(s.ln1(x)).split(D, 2)
        heads = lambda t: t.view(B, T, H, D // H).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        p = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // H) + mask, -1)
        x = x + s.out((p @ v).transpose(1, 2).reshape(B, T, D))
        return x + s.down(F.relu(s.up(s.ln2(x))))
class LM(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.emb = torch.nn.Parameter(torch.randn(V, D) * 0.02)
        s.pos = torch.nn.Parameter(torch.randn(T, D) * 0.02)
        s.blocks = torch.nn.ModuleList([Block(w) for w in W])
        s.ln = torch.nn.LayerNorm(D)
        s.bias = torch.nn.Parameter(torch.zeros(V))
    def forward(s, ids, mask):
        h = s.emb[ids] + s.pos
        for b in s.blocks: h = b(h, mask)
        return s.ln(h) @ s.emb.t() + s.bias
model = LM()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
mask = torch.triu(torch.full((T, T), -1e9), 1)
ids = torch.randint(0, V, (B, T)); tgt = torch.randint(0, V, (B, T))
def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(ids, mask).reshape(-1, V), tgt.reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
for _ in range(${warmup}): step()
samples, cpu = [], []
for _ in range(${timed}):
    t0, c0 = time.perf_counter(), time.process_time(); step()
    samples.append((time.perf_counter() - t0) * 1000); cpu.append((time.process_time() - c0) * 1000)
samples.sort(); cpu.sort()
print(torch.__version__, samples[len(samples) // 2], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, cpu[len(cpu) // 2])
`;
}

/** Whether the peer can run here (and why not). */
export function torchAvailable() {
  const probe = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' });
  return probe.status === 0
    ? { ok: true }
    : { ok: false, reason: `${PY} cannot import torch (Debian: apt-get install python3-torch)` };
}

/** One measurement in a child process: { version, ms, rssBytes, cpuMs } or null (with the reason printed). */
export function runTorchDecoder(options, env = {}) {
  const res = spawnSync(PY, ['-c', torchDecoderScript(options)], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', ...env },
  });
  const [version, ms, rss, cpu] = (res.stdout ?? '').trim().split(/\s+/);
  if (res.status !== 0 || !ms) {
    console.log(`PyTorch peer failed: ${(res.stderr ?? '').trim().split('\n').pop()}`);
    return null;
  }
  return { version, ms: Number(ms), rssBytes: Number(rss) * 1024, cpuMs: Number(cpu) };
}
