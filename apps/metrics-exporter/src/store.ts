import {
  isHistogramSample,
  metricDefinition,
  seriesKey,
  type HistogramSample,
  type Labels,
  type MetricName,
  type SenderRole,
} from '@awn/telemetry';
import type { SnapshotMessage } from '@awn/telemetry';

export interface ScalarSeries {
  labels: Labels;
  value: number;
}

export interface HistogramSeries {
  labels: Labels;
  buckets: readonly number[];
  count: number;
  sum: number;
}

interface Counter {
  name: string;
  labels: Labels;
  /** Last value the sender reported; a smaller one means the sender restarted. */
  raw: number;
  /** Sum of the values reached before each restart, so the exposed value never decreases. */
  offset: number;
}

interface Histo {
  name: string;
  labels: Labels;
  raw: { buckets: number[]; count: number; sum: number };
  offset: { buckets: number[]; count: number; sum: number };
}

interface Sender {
  role: SenderRole;
  rank: number;
  runId: string;
  generation: number;
  step: number;
  lastSeen: number;
  up: boolean;
  gauges: Map<string, { name: string; labels: Labels; value: number }>;
  counters: Map<string, Counter>;
  histograms: Map<string, Histo>;
  /** Adaptive layers it reported (its awn_layer_width series): `layer` labels must be below. */
  layers: number;
}

/**
 * What the exporter knows about every sender, keyed by (role, rank). Snapshots carry cumulative
 * values; this store keeps counters and histograms monotone for Prometheus even when a process
 * restarts under the same rank within the same run (its values drop, which is absorbed into an
 * offset). A sender silent for `staleAfterMs` keeps only `awn_up = 0`: its other series vanish
 * instead of repeating old values as if they were current.
 */
export type ApplyResult = 'applied' | 'too_many_senders' | 'too_many_series' | 'bad_sample';

/**
 * The layers a snapshot reports: one awn_layer_width sample per adaptive layer of the sender's
 * model (apps/worker/src/telemetry.ts), or undefined when it reports none.
 */
function reportedLayers(snapshot: SnapshotMessage): number | undefined {
  let n = 0;
  for (const sample of snapshot.samples) if (sample.name === 'awn_layer_width') n++;
  return n > 0 ? n : undefined;
}

/** A `layer` label at or above the sender's layer count, if any. */
function strayLayer(snapshot: SnapshotMessage, layers: number): string | undefined {
  for (const sample of snapshot.samples) {
    const layer = (sample.labels as Labels)['layer'];
    if (layer !== undefined && Number(layer) >= layers) return `${sample.name}{layer="${layer}"}`;
  }
  return undefined;
}

export class SenderStore {
  readonly #senders = new Map<string, Sender>();
  readonly #staleAfterMs: number;
  readonly #maxSenders: number;
  readonly #maxSeriesPerSender: number;
  /** Why the last 'bad_sample' was refused (for the drop log). */
  lastRefusal = '';

  constructor(options: { staleAfterMs: number; maxSenders: number; maxSeriesPerSender: number }) {
    this.#staleAfterMs = options.staleAfterMs;
    this.#maxSenders = options.maxSenders;
    this.#maxSeriesPerSender = options.maxSeriesPerSender;
  }

  /**
   * Applies a snapshot, or refuses it whole when it would exceed the sender limit or leave its
   * sender with more series than the per-sender limit (counters and histograms accumulate over a
   * sender's life, so the check counts the series it already has plus the ones this adds).
   */
  apply(snapshot: SnapshotMessage, now: number): ApplyResult {
    const id = `${snapshot.role}/${snapshot.rank}`;
    let sender = this.#senders.get(id);
    if (sender && (sender.runId !== snapshot.runId || !sender.up)) {
      // A new run, or a sender back from silence: its old series are not comparable any more.
      this.#senders.delete(id);
      sender = undefined;
    }
    if (!sender) {
      if (this.#senders.size >= this.#maxSenders) return 'too_many_senders';
    }
    // Label values must name the sender's own layers, so it cannot mint series with made-up ones.
    // (A snapshot may leave out layers it reported before: the most it ever reported counts.)
    const layers = Math.max(reportedLayers(snapshot) ?? 0, sender?.layers ?? 0);
    const stray = strayLayer(snapshot, layers);
    if (stray !== undefined) {
      this.lastRefusal = `${stray} names a layer the sender does not have (it reports ${layers})`;
      return 'bad_sample';
    }
    if (this.#seriesAfter(sender, snapshot) > this.#maxSeriesPerSender) return 'too_many_series';
    if (!sender) {
      sender = {
        role: snapshot.role,
        rank: snapshot.rank,
        runId: snapshot.runId,
        generation: 0,
        step: 0,
        lastSeen: now,
        up: true,
        gauges: new Map(),
        counters: new Map(),
        histograms: new Map(),
        layers,
      };
      this.#senders.set(id, sender);
    }
    sender.layers = layers;
    sender.generation = snapshot.generation;
    sender.step = snapshot.step;
    sender.lastSeen = now;

    const gauges = new Map<string, { name: string; labels: Labels; value: number }>();
    for (const sample of snapshot.samples) {
      const labels = ownLabels(sample.name, sample.labels);
      const key = seriesKey(sample.name, labels);
      if (isHistogramSample(sample)) {
        updateHistogram(sender.histograms, key, sample.name, labels, sample);
      } else if (metricDefinition(sample.name)?.type === 'counter') {
        const c = sender.counters.get(key);
        if (!c) sender.counters.set(key, { name: sample.name, labels, raw: sample.value, offset: 0 });
        else {
          if (sample.value < c.raw) c.offset += c.raw;
          c.raw = sample.value;
        }
      } else {
        gauges.set(key, { name: sample.name, labels, value: sample.value });
      }
    }
    sender.gauges = gauges;
    return 'applied';
  }

  #seriesAfter(sender: Sender | undefined, snapshot: SnapshotMessage): number {
    let added = 0;
    for (const sample of snapshot.samples) {
      const key = seriesKey(sample.name, ownLabels(sample.name, sample.labels));
      const kept = isHistogramSample(sample) ? sender?.histograms.has(key) : sender?.counters.has(key);
      // Gauges are replaced by each snapshot, so every gauge sample counts; kept cumulative
      // series count once, below.
      if (!kept) added += 1;
    }
    return added + (sender ? sender.counters.size + sender.histograms.size : 0);
  }

  /** Marks senders silent for longer than the staleness limit as down and forgets their series. */
  sweep(now: number): void {
    for (const s of this.#senders.values()) {
      if (s.up && now - s.lastSeen > this.#staleAfterMs) {
        s.up = false;
        s.gauges.clear();
        s.counters.clear();
        s.histograms.clear();
      }
    }
  }

  senders(): { role: SenderRole; rank: number; up: boolean }[] {
    return [...this.#senders.values()].map(({ role, rank, up }) => ({ role, rank, up }));
  }

  /** Series of one metric across all senders, each with its `role` and `rank` labels. */
  scalars(name: MetricName): ScalarSeries[] {
    const out: ScalarSeries[] = [];
    for (const s of this.#senders.values()) {
      const who = { role: s.role, rank: String(s.rank) };
      if (name === 'awn_up') {
        out.push({ labels: who, value: s.up ? 1 : 0 });
        continue;
      }
      if (!s.up) continue;
      if (name === 'awn_generation') out.push({ labels: who, value: s.generation });
      else if (name === 'awn_step') out.push({ labels: who, value: s.step });
      for (const g of s.gauges.values())
        if (g.name === name) out.push({ labels: { ...g.labels, ...who }, value: g.value });
      for (const c of s.counters.values()) {
        if (c.name === name) out.push({ labels: { ...c.labels, ...who }, value: c.offset + c.raw });
      }
    }
    return out;
  }

  histograms(name: MetricName): HistogramSeries[] {
    const out: HistogramSeries[] = [];
    for (const s of this.#senders.values()) {
      if (!s.up) continue;
      const who = { role: s.role, rank: String(s.rank) };
      for (const h of s.histograms.values()) {
        if (h.name !== name) continue;
        out.push({
          labels: { ...h.labels, ...who },
          buckets: h.raw.buckets.map((b, i) => b + h.offset.buckets[i]!),
          count: h.raw.count + h.offset.count,
          sum: h.raw.sum + h.offset.sum,
        });
      }
    }
    return out;
  }
}

// Copies only the declared labels into a fresh object: input came off the network, and nothing
// else it carried (prototype keys included) should reach the exposition.
function ownLabels(name: string, labels: Labels): Labels {
  const out: Record<string, string> = {};
  for (const key of metricDefinition(name)?.labels ?? []) out[key] = labels[key]!;
  return out;
}

function updateHistogram(
  map: Map<string, Histo>,
  key: string,
  name: string,
  labels: Labels,
  sample: HistogramSample,
): void {
  const raw = { buckets: [...sample.buckets], count: sample.count, sum: sample.sum };
  const h = map.get(key);
  if (!h) {
    map.set(key, { name, labels, raw, offset: { buckets: raw.buckets.map(() => 0), count: 0, sum: 0 } });
    return;
  }
  const restarted = raw.count < h.raw.count || raw.buckets.some((b, i) => b < h.raw.buckets[i]!);
  if (restarted) {
    h.offset = {
      buckets: h.offset.buckets.map((b, i) => b + h.raw.buckets[i]!),
      count: h.offset.count + h.raw.count,
      sum: h.offset.sum + h.raw.sum,
    };
  }
  h.raw = raw;
}
