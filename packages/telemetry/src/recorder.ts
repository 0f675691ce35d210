import {
  METRICS,
  type CounterName,
  type GaugeName,
  type HistogramName,
  type LabelsOf,
  type MetricDefinition,
  type MetricName,
  type ProcessMetricName,
} from './metrics.js';
import { labelProblem, type Labels, type MetricSample } from './samples.js';

/** Trailing label argument: required when the metric declares labels, absent when it has none. */
type LabelArgs<N extends MetricName> = keyof LabelsOf<N> extends never ? [] : [labels: LabelsOf<N>];

interface Scalar {
  name: string;
  labels: Labels;
  value: number;
}

interface Histogram {
  name: string;
  labels: Labels;
  bounds: readonly number[];
  buckets: number[];
  count: number;
  sum: number;
}

/**
 * Accumulates the metric state of one process. Producers call `gauge`, `inc` and `observe` as
 * things happen and send `snapshot()` periodically; values are cumulative, so snapshots can be
 * dropped without losing counts. Misuse (unknown name, wrong labels, a negative increment) throws:
 * it is a programming error, and most of it is already a type error.
 */
export class MetricsRecorder {
  readonly #scalars = new Map<string, Scalar>();
  readonly #histograms = new Map<string, Histogram>();

  gauge<N extends GaugeName & ProcessMetricName>(name: N, value: number, ...labels: LabelArgs<N>): void {
    if (typeof value !== 'number') throw new TypeError(`${name}: value must be a number`);
    const series = this.#scalar(name, 'gauge', labels[0]);
    series.value = value;
  }

  inc<N extends CounterName & ProcessMetricName>(name: N, by = 1, ...labels: LabelArgs<N>): void {
    if (!(Number.isFinite(by) && by >= 0)) {
      throw new RangeError(`${name}: a counter increases by a finite non-negative amount, got ${by}`);
    }
    const series = this.#scalar(name, 'counter', labels[0]);
    series.value += by;
  }

  observe<N extends HistogramName & ProcessMetricName>(name: N, value: number, ...labels: LabelArgs<N>): void {
    if (!Number.isFinite(value)) throw new RangeError(`${name}: cannot observe ${value}`);
    const series = this.#histogram(name, labels[0]);
    series.count += 1;
    series.sum += value;
    for (let i = 0; i < series.bounds.length; i++) {
      if (value <= series.bounds[i]!) series.buckets[i]! += 1;
    }
  }

  /** Sets `awn_build_info` to 1 with the given labels; `node` defaults to this process's version. */
  buildInfo(info: { version: string; backend: string; node?: string }): void {
    this.gauge('awn_build_info', 1, {
      version: info.version,
      backend: info.backend,
      node: info.node ?? process.version,
    });
  }

  /** Every series recorded so far, copied, in a stable order. */
  snapshot(): MetricSample[] {
    const out: MetricSample[] = [];
    for (const s of this.#scalars.values()) out.push({ name: s.name, labels: s.labels, value: s.value });
    for (const h of this.#histograms.values()) {
      out.push({ name: h.name, labels: h.labels, buckets: [...h.buckets], count: h.count, sum: h.sum });
    }
    return out;
  }

  #scalar(name: MetricName, type: 'gauge' | 'counter', labels: object | undefined): Scalar {
    const { def, clean, key } = resolve(name, type, labels);
    let series = this.#scalars.get(key);
    if (!series) {
      series = { name, labels: clean, value: def.type === 'counter' ? 0 : Number.NaN };
      this.#scalars.set(key, series);
    }
    return series;
  }

  #histogram(name: MetricName, labels: object | undefined): Histogram {
    const { def, clean, key } = resolve(name, 'histogram', labels);
    let series = this.#histograms.get(key);
    if (!series) {
      const bounds = def.buckets ?? [];
      series = { name, labels: clean, bounds, buckets: bounds.map(() => 0), count: 0, sum: 0 };
      this.#histograms.set(key, series);
    }
    return series;
  }
}

function resolve(name: MetricName, type: MetricDefinition['type'], labels: object | undefined) {
  const def: MetricDefinition | undefined = (METRICS as Record<string, MetricDefinition>)[name];
  if (!def) throw new TypeError(`unknown metric '${String(name)}'`);
  if (def.type !== type) throw new TypeError(`${name} is a ${def.type}, not a ${type}`);
  if (def.source !== 'process') throw new TypeError(`${name} is written by the metrics exporter`);
  const given = labels ?? {};
  const problem = labelProblem(name, def, given);
  if (problem) throw new TypeError(problem);
  const clean: Record<string, string> = {};
  for (const key of def.labels) clean[key] = (given as Record<string, string>)[key]!;
  return { def, clean, key: seriesKey(name, clean) };
}

/** Identity of a series: metric name plus its label values in definition order. */
export function seriesKey(name: string, labels: Labels): string {
  return JSON.stringify([name, ...Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))]);
}
