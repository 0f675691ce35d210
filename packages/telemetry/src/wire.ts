import { Packr } from 'msgpackr';
import { SENDER_ROLES, type SenderRole } from './metrics.js';
import { seriesKey } from './recorder.js';
import { sampleProblem, type MetricSample } from './samples.js';

// Wire format of a metric snapshot, version 1. One ZeroMQ message of exactly one frame, holding
// one msgpack map (plain maps and arrays, no msgpackr records or extensions, so any msgpack
// decoder can read it):
//
//   { v: 1,                                 wire version; anything else is dropped ('version')
//     runId: string,                        1..128 chars; a new runId resets the sender's series
//     rank: integer >= 0,                   the sender's rank within its role
//     role: 'coordinator' | 'worker',
//     generation: integer >= 0,             exposed as awn_generation{role,rank}
//     step: integer >= 0,                   exposed as awn_step{role,rank}
//     samples: [                            at most MAX_SAMPLES, each series at most once
//       { name, labels: {..}, value }                                   counter or gauge
//       { name, labels: {..}, buckets: [cumulative counts], count, sum }   histogram
//     ] }
//
// Sample names, label sets and bucket bounds are those of @awn/telemetry's METRICS. Counter and
// histogram values are cumulative since the sender started; gauges are current values, and a
// gauge series missing from a snapshot is no longer exposed.

export const SNAPSHOT_WIRE_VERSION = 1;
export const MAX_SAMPLES = 4096;
export const MAX_RUN_ID_LENGTH = 128;

export interface SnapshotBody {
  generation: number;
  step: number;
  samples: readonly MetricSample[];
}

export interface SnapshotMessage extends SnapshotBody {
  v: typeof SNAPSHOT_WIRE_VERSION;
  runId: string;
  rank: number;
  role: SenderRole;
}

/** Why a message was dropped; the `reason` label of the exporter's awn_dropped_messages_total. */
export const DROP_REASONS = [
  'undecodable',
  'bad_header',
  'version',
  'bad_sample',
  'too_many_senders',
  'too_many_series',
] as const;
/** Why the exporter dropped a snapshot (counted in awn_dropped_messages_total with this reason). */
export type SnapshotDropReason = (typeof DROP_REASONS)[number];

export type DecodeResult =
  | { ok: true; snapshot: SnapshotMessage }
  | { ok: false; reason: SnapshotDropReason; detail: string };

// Records off: a record's structure lives in the decoder's state, so a receiver that missed the
// first message (or a non-msgpackr decoder) could not read the rest.
const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeSnapshot(message: SnapshotMessage): Buffer {
  return packr.pack(message);
}

export function decodeSnapshot(frames: readonly Buffer[]): DecodeResult {
  if (frames.length !== 1) return drop('undecodable', `expected 1 frame, got ${frames.length}`);
  let raw: unknown;
  try {
    raw = packr.unpack(frames[0]!);
  } catch (error) {
    return drop('undecodable', `not msgpack: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return drop('bad_header', 'message is not a map');
  }
  const m = raw as Record<string, unknown>;
  if (m['v'] !== SNAPSHOT_WIRE_VERSION) {
    return drop('version', `wire version ${String(m['v']).slice(0, 32)}, expected ${SNAPSHOT_WIRE_VERSION}`);
  }
  const { runId, rank, role, generation, step, samples } = m;
  if (typeof runId !== 'string' || runId.length === 0 || runId.length > MAX_RUN_ID_LENGTH) {
    return drop('bad_header', `runId must be a string of 1..${MAX_RUN_ID_LENGTH} characters`);
  }
  if (!isIndex(rank)) return drop('bad_header', 'rank must be a non-negative integer');
  if (!(SENDER_ROLES as readonly unknown[]).includes(role)) {
    return drop('bad_header', `role must be one of ${SENDER_ROLES.join(', ')}`);
  }
  if (!isIndex(generation)) return drop('bad_header', 'generation must be a non-negative integer');
  if (!isIndex(step)) return drop('bad_header', 'step must be a non-negative integer');
  if (!Array.isArray(samples)) return drop('bad_header', 'samples must be an array');
  if (samples.length > MAX_SAMPLES) return drop('bad_header', `more than ${MAX_SAMPLES} samples`);

  const seen = new Set<string>();
  for (const sample of samples) {
    const problem = sampleProblem(sample);
    if (problem) return drop('bad_sample', problem);
    const { name, labels } = sample as MetricSample;
    const key = seriesKey(name, labels);
    if (seen.has(key)) return drop('bad_sample', `series ${key} appears twice`);
    seen.add(key);
  }
  return {
    ok: true,
    snapshot: {
      v: SNAPSHOT_WIRE_VERSION,
      runId,
      rank: rank as number,
      role: role as SenderRole,
      generation: generation as number,
      step: step as number,
      samples: samples as MetricSample[],
    },
  };
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function drop(reason: SnapshotDropReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}
