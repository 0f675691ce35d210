import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS, SENDER_LABELS, type MetricDefinition, type MetricName } from '@awn/telemetry';
import type { ScalarSeries, SenderStore } from './store.js';
import { DROP_REASONS, type SnapshotDropReason } from '@awn/telemetry';

/** The exporter's own dropped messages, exposed with role="exporter" and no rank. */
export class DropCounts {
  readonly #counts = new Map<SnapshotDropReason, number>(DROP_REASONS.map((r) => [r, 0]));

  add(reason: SnapshotDropReason): void {
    this.#counts.set(reason, (this.#counts.get(reason) ?? 0) + 1);
  }

  get(reason: SnapshotDropReason): number {
    return this.#counts.get(reason) ?? 0;
  }

  series(): ScalarSeries[] {
    return [...this.#counts].map(([reason, value]) => ({ labels: { reason, role: 'exporter' }, value }));
  }
}

// prom-client metrics normally own their values; here each value is whatever the senders last
// reported, so these subclasses take the name, help and type from prom-client and the values
// from the store at scrape time. prom-client still formats and escapes the exposition.

type Source = () => ScalarSeries[];

class SnapshotGauge extends Gauge<string> {
  #source: Source = () => [];

  bind(source: Source): this {
    this.#source = source;
    return this;
  }

  override async get() {
    const base = await super.get();
    return { ...base, values: this.#source().map(({ labels, value }) => ({ labels, value })) };
  }
}

class SnapshotCounter extends Counter<string> {
  #source: Source = () => [];

  bind(source: Source): this {
    this.#source = source;
    return this;
  }

  override async get() {
    const base = await super.get();
    return { ...base, values: this.#source().map(({ labels, value }) => ({ labels, value })) };
  }
}

type HistogramObject = Awaited<ReturnType<Histogram<string>['get']>>;

class SnapshotHistogram extends Histogram<string> {
  #store: SenderStore | undefined;
  #metric: MetricName | undefined;
  #def: MetricDefinition | undefined;

  bind(store: SenderStore, metric: MetricName, def: MetricDefinition): this {
    this.#store = store;
    this.#metric = metric;
    this.#def = def;
    return this;
  }

  // Not built on super.get(): prom-client's Histogram.get() calls getForPromString(), which is
  // overridden below to come back here.
  override async get(): Promise<HistogramObject> {
    const name = this.#metric ?? '';
    const bounds = this.#def?.buckets ?? [];
    const values = [];
    for (const h of this.#store && this.#metric ? this.#store.histograms(this.#metric) : []) {
      bounds.forEach((le, i) => {
        values.push({ metricName: `${name}_bucket`, labels: { ...h.labels, le }, value: h.buckets[i]! });
      });
      values.push({ metricName: `${name}_bucket`, labels: { ...h.labels, le: '+Inf' }, value: h.count });
      values.push({ metricName: `${name}_sum`, labels: h.labels, value: h.sum });
      values.push({ metricName: `${name}_count`, labels: h.labels, value: h.count });
    }
    return {
      name,
      help: this.#def?.help ?? '',
      type: 'histogram',
      aggregator: 'sum',
      values,
    } as unknown as HistogramObject;
  }

  // The registry prefers this method when present; prom-client's own version reads the
  // (empty) internal state.
  getForPromString(): Promise<HistogramObject> {
    return this.get();
  }
}

/** A registry exposing every metric of the catalogue, read from the store at scrape time. */
export function createExposition(store: SenderStore, drops: DropCounts): Registry {
  const registry = new Registry();
  for (const [name, def] of Object.entries(METRICS) as [MetricName, MetricDefinition][]) {
    const config = {
      name,
      help: def.help,
      labelNames: [...def.labels, ...SENDER_LABELS],
      registers: [registry],
    };
    if (def.type === 'histogram') {
      new SnapshotHistogram({ ...config, buckets: [...(def.buckets ?? [])] }).bind(store, name, def);
    } else if (def.type === 'counter') {
      const source: Source =
        name === 'awn_dropped_messages_total'
          ? () => [...store.scalars(name), ...drops.series()]
          : () => store.scalars(name);
      new SnapshotCounter(config).bind(source);
    } else {
      new SnapshotGauge(config).bind(() => store.scalars(name));
    }
  }
  return registry;
}
