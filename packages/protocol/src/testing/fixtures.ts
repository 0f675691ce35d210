import { PROTOCOL_VERSION } from '../limits.js';
import type { Envelope, Message, MessageType } from '../messages.js';
import type { TensorInput } from '../tensors.js';

export const RUN_ID = 'run-7f3a';

export const ENVELOPE: Envelope = { version: PROTOCOL_VERSION, runId: RUN_ID, generation: 3, step: 41, sender: 1 };

const TIMINGS = { computeMs: 12.5, allreduceMs: 3.25, updateMs: 1, totalMs: 16.75 };

/** One valid message of every type, with the tensors it carries. */
export const SAMPLES: {
  readonly [T in MessageType]: { message: Extract<Message, { type: T }>; tensors: TensorInput[] };
} = {
  join: {
    message: {
      ...ENVELOPE,
      sender: -1,
      type: 'join',
      workerId: 'w-1',
      host: 'node-a',
      pid: 4242,
      dataAddress: 'tcp://10.0.0.2:7001',
      configHash: 'ab'.repeat(32),
      backend: 'wasm',
    },
    tensors: [],
  },
  welcome: {
    message: {
      ...ENVELOPE,
      sender: -1,
      type: 'welcome',
      workerId: 'w-1',
      rank: 1,
      worldSize: 3,
      peers: ['tcp://10.0.0.1:7001', 'tcp://10.0.0.2:7001', 'tcp://10.0.0.3:7001'],
      resumeStep: 40,
      broadcastRoot: 0,
      config: { model: { widths: [64, 64], activation: 'relu' }, lr: 0.001, seed: 7, nested: [true, null, 'x'] },
      configHash: 'cd'.repeat(32),
      heartbeatIntervalMs: 1000,
    },
    tensors: [],
  },
  assignment: {
    message: {
      ...ENVELOPE,
      sender: -1,
      type: 'assignment',
      workerId: 'w-2',
      rank: 0,
      worldSize: 1,
      peers: ['tcp://127.0.0.1:9000'],
      resumeStep: 12,
      broadcastRoot: 0,
    },
    tensors: [],
  },
  heartbeat: { message: { ...ENVELOPE, type: 'heartbeat', sentAt: 1732531200123.5 }, tensors: [] },
  'step-done': {
    message: {
      ...ENVELOPE,
      type: 'step-done',
      widthHash: 17,
      samples: 128,
      loss: 0.6931,
      timings: TIMINGS,
      epoch: 3,
      widths: [179, 43],
      rates: [0.0129, Number.NaN],
      lossTerms: { nll: 0.02, weightPrior: 0.67, ratePrior: 0 },
      widthChanges: 1,
    },
    tensors: [],
  },
  'allreduce-chunk': {
    message: {
      ...ENVELOPE,
      type: 'allreduce-chunk',
      opSeq: 9,
      bucketId: 2,
      widthHash: 0x01020304,
      phase: 'reduce-scatter',
      ringStep: 1,
      segment: 0,
      offset: 100,
      length: 4,
      total: 300,
      weights: [32, 0.5],
    },
    tensors: [{ data: new Float32Array([1.5, -2, 3.25, Number.MIN_VALUE]) }],
  },
  'broadcast-chunk': {
    message: {
      ...ENVELOPE,
      type: 'broadcast-chunk',
      opSeq: 4,
      root: 0,
      index: 1,
      chunks: 3,
      layout: [10, 6],
      buffer: 0,
      offset: 8,
    },
    tensors: [{ data: new Uint8Array([7, 9]) }],
  },
  'ring-token': { message: { ...ENVELOPE, type: 'ring-token', opSeq: 5, purpose: 'barrier', origin: 2 }, tensors: [] },
  state: {
    message: { ...ENVELOPE, type: 'state', widths: [64, 31, 10], configHash: 'ef'.repeat(32), final: false },
    tensors: [
      { name: 'dense0/kernel', data: Float32Array.from({ length: 12 }, (_, i) => i / 7), shape: [3, 4] },
      { name: 'step', data: new Int32Array([41]), shape: [] },
      { name: 'empty', data: new Float64Array(0), shape: [0, 5] },
    ],
  },
  stop: {
    message: { ...ENVELOPE, sender: -1, type: 'stop', reason: 'interrupted (SIGINT)' },
    tensors: [],
  },
  evict: {
    message: { ...ENVELOPE, sender: -1, type: 'evict', rank: 2, workerId: 'w-3', reason: 'missed 3 heartbeats' },
    tensors: [],
  },
  shutdown: {
    message: { ...ENVELOPE, sender: -1, type: 'shutdown', reason: 'training finished', exitCode: 0 },
    tensors: [],
  },
  error: {
    message: {
      ...ENVELOPE,
      type: 'error',
      code: 'collective-timeout',
      message: 'rank 2 silent for 5000 ms',
      ranks: [2, 1],
      reporter: 1,
      fatal: true,
    },
    tensors: [],
  },
};
