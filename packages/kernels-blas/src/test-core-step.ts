// Child process for core-step.test.ts: a few real @awn/core training steps of a small adaptive
// Transformer on wasm under whatever environment the parent set (AWN_DISABLE_BLAS, AWN_BLAS_OPS),
// reported as JSON: the backend's BLAS state, the kernels replaced, the losses and the parameters.
// @awn/core is imported by a computed name: it depends on this package, not the other way round,
// and it may not be built; the child then reports { unavailable }.
import { blasStatus } from './index.js';

interface Core {
  selectBackend(name: 'wasm'): Promise<{ blas: { enabled: boolean; reason?: string } }>;
  parseRunConfig(json: unknown): unknown;
  buildExperiment(config: unknown): {
    model: { parameters: readonly { name: string; read(): Float32Array }[] };
    optimizer: unknown;
    loss: unknown;
    train: unknown;
  };
  trainStep(options: unknown, step: number): Promise<{ loss: { total: number } }>;
}

const spec = '@awn/core';
let core: Core;
try {
  core = (await import(spec)) as Core;
} catch (err) {
  process.stdout.write(JSON.stringify({ unavailable: err instanceof Error ? err.message : String(err) }));
  process.exit(0);
}
const info = await core.selectBackend('wasm');
const config = core.parseRunConfig({
  name: 'kernels-blas-fallback',
  seed: 7,
  data: { dataset: 'moby-dick', sequenceLength: 24 },
  model: {
    type: 'transformer',
    blocks: 2,
    dModel: 32,
    heads: 4,
    context: 24,
    adaptive: true,
    initialRate: 0.02,
    activation: 'relu',
    tiedEmbeddings: true,
    dropout: 0,
  },
  loss: { weightPriorStd: 1 },
  training: { steps: 3, batchSize: 5, optimizer: { type: 'sgd', learningRate: 0.05 } },
});
const exp = core.buildExperiment(config);
const options = { model: exp.model, optimizer: exp.optimizer, loss: exp.loss, train: exp.train, steps: 3 };
const losses: number[] = [];
for (let step = 0; step < 3; step++) losses.push((await core.trainStep(options, step)).loss.total);
const params: Record<string, number[]> = {};
for (const p of exp.model.parameters) params[p.name] = Array.from(p.read());
process.stdout.write(JSON.stringify({ blas: info.blas, kernels: blasStatus().kernels, losses, params }));
