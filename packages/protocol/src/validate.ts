import { ProtocolError } from './errors.js';
import { FieldReader } from './fields.js';
import type { Limits } from './limits.js';
import type {
  AssignmentFields,
  Envelope,
  LossTerms,
  Message,
  MessageType,
  MetricSample,
  StepTimings,
} from './messages.js';
import { isMessageType } from './messages.js';
import { bytesPerElement, DTYPES, type TensorDescriptor } from './tensors.js';

type BodyParser = (r: FieldReader) => Omit<Message, keyof Envelope>;

const RANK_MAX = 1 << 20;

function timings(r: FieldReader): StepTimings {
  return {
    computeMs: r.finite('computeMs', 0),
    allreduceMs: r.finite('allreduceMs', 0),
    updateMs: r.finite('updateMs', 0),
    totalMs: r.finite('totalMs', 0),
  };
}

function lossTerms(r: FieldReader): LossTerms {
  return { nll: r.number('nll'), weightPrior: r.number('weightPrior'), ratePrior: r.number('ratePrior') };
}

function assignment(r: FieldReader): AssignmentFields {
  const worldSize = r.int('worldSize', 1, RANK_MAX);
  const rank = r.int('rank', 0, worldSize - 1);
  const peers = r.strArray('peers', 1);
  if (peers.length !== worldSize) {
    throw new ProtocolError('malformed', `peers lists ${peers.length} addresses for worldSize ${worldSize}`);
  }
  return {
    workerId: r.str('workerId', 1),
    rank,
    worldSize,
    peers,
    resumeStep: r.int('resumeStep'),
    stateSource: r.oneOf('stateSource', ['fresh', 'broadcast', 'checkpoint'] as const),
    broadcastRoot: r.int('broadcastRoot', 0, worldSize - 1),
    checkpointPath: r.strOrNull('checkpointPath'),
  };
}

function metricSample(r: FieldReader): MetricSample {
  const kind = r.oneOf('kind', ['gauge', 'counter', 'histogram'] as const);
  const name = r.str('name', 1);
  const labels = r.stringMap('labels');
  if (kind === 'histogram') return { kind, name, labels, observations: r.finiteArray('observations') };
  return { kind, name, labels, value: r.finite('value') };
}

const PARSERS: { readonly [T in MessageType]: BodyParser } = {
  join: (r) => ({
    type: 'join',
    workerId: r.str('workerId', 1),
    host: r.str('host'),
    pid: r.int('pid'),
    dataAddress: r.str('dataAddress', 1),
    configHash: r.str('configHash', 1),
    backend: r.str('backend'),
  }),
  welcome: (r) => ({
    type: 'welcome',
    ...assignment(r),
    config: r.json('config'),
    configHash: r.str('configHash', 1),
    heartbeatIntervalMs: r.int('heartbeatIntervalMs', 1),
  }),
  assignment: (r) => ({ type: 'assignment', ...assignment(r) }),
  heartbeat: (r) => ({
    type: 'heartbeat',
    sentAt: r.finite('sentAt'),
    workerId: r.str('workerId'),
    ...(r.has('intervalMs') ? { intervalMs: r.int('intervalMs', 1, 3_600_000) } : {}),
  }),
  'step-ready': (r) => ({
    type: 'step-ready',
    widthHash: r.uint32('widthHash'),
    timings: timings(r.record('timings')),
  }),
  'step-done': (r) => ({
    type: 'step-done',
    widthHash: r.uint32('widthHash'),
    samples: r.int('samples'),
    loss: r.number('loss'),
    timings: timings(r.record('timings')),
    epoch: r.int('epoch'),
    widths: r.intArray('widths'),
    rates: r.numberArray('rates'),
    lossTerms: lossTerms(r.record('lossTerms')),
    widthChanges: r.int('widthChanges'),
  }),
  'allreduce-chunk': (r) => {
    const total = r.int('total');
    const offset = r.int('offset', 0, total);
    const length = r.int('length', 0, total - offset);
    return {
      type: 'allreduce-chunk',
      opSeq: r.int('opSeq'),
      bucketId: r.int('bucketId'),
      widthHash: r.uint32('widthHash'),
      phase: r.oneOf('phase', ['reduce-scatter', 'all-gather'] as const),
      ringStep: r.int('ringStep', 0, RANK_MAX),
      segment: r.int('segment', 0, RANK_MAX),
      offset,
      length,
      total,
      weights: r.isNull('weights') ? null : r.finiteArray('weights', 0),
    };
  },
  'broadcast-chunk': (r) => {
    const layout = r.intArray('layout');
    const chunks = r.int('chunks', 1);
    const index = r.int('index', 0, chunks - 1);
    const buffer = r.int('buffer', layout.length === 0 ? -1 : 0, layout.length === 0 ? -1 : layout.length - 1);
    const offset = r.int('offset', 0, buffer < 0 ? 0 : layout[buffer]);
    return {
      type: 'broadcast-chunk',
      opSeq: r.int('opSeq'),
      root: r.int('root', 0, RANK_MAX),
      index,
      chunks,
      layout,
      buffer,
      offset,
    };
  },
  'ring-token': (r) => ({
    type: 'ring-token',
    opSeq: r.int('opSeq'),
    purpose: r.oneOf('purpose', ['barrier', 'allreduce-fin', 'broadcast-fin'] as const),
    origin: r.int('origin', 0, RANK_MAX),
  }),
  state: (r) => ({
    type: 'state',
    widths: r.intArray('widths'),
    configHash: r.str('configHash', 1),
    final: r.bool('final'),
  }),
  'checkpoint-request': (r) => ({
    type: 'checkpoint-request',
    requestId: r.str('requestId', 1),
    reason: r.oneOf('reason', ['interval', 'final', 'manual'] as const),
    path: r.strOrNull('path'),
  }),
  'checkpoint-ack': (r) => ({
    type: 'checkpoint-ack',
    requestId: r.str('requestId', 1),
    ok: r.bool('ok'),
    path: r.strOrNull('path'),
    bytes: r.int('bytes'),
    checksum: r.strOrNull('checksum'),
    error: r.strOrNull('error'),
  }),
  evict: (r) => ({
    type: 'evict',
    rank: r.int('rank', 0, RANK_MAX),
    workerId: r.str('workerId'),
    reason: r.str('reason'),
  }),
  shutdown: (r) => ({ type: 'shutdown', reason: r.str('reason'), exitCode: r.int('exitCode', 0, 255) }),
  error: (r) => ({
    type: 'error',
    code: r.str('code', 1),
    message: r.str('message'),
    ranks: r.intArray('ranks', 0, RANK_MAX),
    reporter: r.int('reporter', -1, RANK_MAX),
    fatal: r.bool('fatal'),
  }),
  metrics: (r) => ({
    type: 'metrics',
    process: r.str('process', 1),
    timestamp: r.finite('timestamp'),
    samples: r.records('samples').map(metricSample),
  }),
};

/** Which payload tensors a type may carry: the chunk types exactly one 1-D tensor of a fixed dtype. */
function checkTensorsAllowed(message: Message, tensors: readonly TensorDescriptor[]): void {
  const single = (dtype: string, length: number): void => {
    const t = tensors[0];
    if (tensors.length !== 1 || t === undefined || t.dtype !== dtype || t.shape.length !== 1 || t.shape[0] !== length) {
      throw new ProtocolError(
        'malformed',
        `${message.type} must carry exactly one ${dtype} tensor of shape [${length}]`,
      );
    }
  };
  switch (message.type) {
    case 'allreduce-chunk':
      single('float32', message.length);
      return;
    case 'broadcast-chunk': {
      const size = message.buffer < 0 ? 0 : (message.layout[message.buffer] ?? 0);
      const t = tensors[0];
      if (tensors.length !== 1 || t === undefined || t.dtype !== 'uint8' || t.shape.length !== 1) {
        throw new ProtocolError('malformed', 'broadcast-chunk must carry exactly one 1-D uint8 tensor');
      }
      if (message.offset + (t.shape[0] ?? 0) > size) {
        throw new ProtocolError('malformed', 'broadcast-chunk overruns its buffer');
      }
      return;
    }
    case 'state':
      return;
    default:
      if (tensors.length !== 0) throw new ProtocolError('malformed', `${message.type} carries no tensors`);
  }
}

export function parseTensorDescriptors(r: FieldReader, limits: Limits): TensorDescriptor[] {
  return r.records('tensors').map((t, i) => {
    if (i >= limits.maxTensors) throw new ProtocolError('oversize', `more than ${limits.maxTensors} tensors`);
    const dtype = t.oneOf('dtype', DTYPES);
    const shape = t.intArray('shape', 0, Number.MAX_SAFE_INTEGER);
    if (shape.length > 8) throw new ProtocolError('malformed', `tensor ${i} has rank ${shape.length} > 8`);
    let bytes = bytesPerElement(dtype);
    for (const dim of shape) {
      bytes *= dim;
      if (bytes > limits.maxMessageBytes)
        throw new ProtocolError('oversize', `tensor ${i} exceeds ${limits.maxMessageBytes} bytes`);
    }
    return { name: t.str('name'), dtype, shape, frames: t.int('frames', 0, limits.maxFrames) };
  });
}

export interface ParsedHeader {
  readonly message: Message;
  readonly tensors: readonly TensorDescriptor[];
}

/**
 * Validates a decoded header whose version and run id were already checked. Everything is copied
 * field by field into a fresh object, so unknown fields are dropped and types are exact.
 */
export function parseHeader(raw: Record<string, unknown>, limits: Limits): ParsedHeader {
  const type = raw['type'];
  if (!isMessageType(type)) {
    throw new ProtocolError(
      'unknown-type',
      `unknown message type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type}`,
    );
  }
  const r = new FieldReader(raw, type, limits);
  const envelope: Envelope = {
    version: r.int('version'),
    runId: r.str('runId'),
    generation: r.int('generation'),
    step: r.int('step'),
    sender: r.int('sender', -1, RANK_MAX),
  };
  const message = { ...envelope, ...PARSERS[type](r) } as Message;
  const tensors = parseTensorDescriptors(r, limits);
  checkTensorsAllowed(message, tensors);
  return { message, tensors };
}
