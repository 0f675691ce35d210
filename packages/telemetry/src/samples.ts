import { metricDefinition, type MetricDefinition } from './metrics.js';

// A snapshot sample is the state of one series of one process. Values are cumulative (counters
// since the process started, histograms likewise), so a lost snapshot loses no information: the
// next one carries it.

export type Labels = Readonly<Record<string, string>>;

export interface ScalarSample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

export interface HistogramSample {
  readonly name: string;
  readonly labels: Labels;
  /** Cumulative count of observations <= each finite bound of the definition, in order. */
  readonly buckets: readonly number[];
  /** All observations, i.e. the +Inf bucket. */
  readonly count: number;
  readonly sum: number;
}

export type MetricSample = ScalarSample | HistogramSample;

/** Longest label value accepted; longer ones are a bug or an attack on the exporter's memory. */
export const MAX_LABEL_VALUE_LENGTH = 128;

/**
 * Adaptive layers one process may report. A `layer` label is the layer's index ('0', '1', ...),
 * so without a bound one sender could mint a new series per message; the config schema's own
 * bound on adaptive layers is far below this.
 */
export const MAX_LAYER_INDEX = 1023;
const LAYER_INDEX = /^(0|[1-9][0-9]{0,3})$/;

export function isHistogramSample(sample: MetricSample): sample is HistogramSample {
  return 'buckets' in sample;
}

/** Describes what is wrong with a label set for a metric, or returns undefined when it is valid. */
export function labelProblem(name: string, def: MetricDefinition, labels: unknown): string | undefined {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    return `${name}: labels must be an object`;
  }
  const given = Object.keys(labels);
  for (const key of given) {
    if (!def.labels.includes(key)) {
      const expected = def.labels.length ? def.labels.join(', ') : 'none';
      return `${name}: unknown label '${key}' (expected: ${expected})`;
    }
  }
  for (const key of def.labels) {
    const value = (labels as Record<string, unknown>)[key];
    if (typeof value !== 'string') return `${name}: label '${key}' must be a string`;
    if (value.length > MAX_LABEL_VALUE_LENGTH) {
      return `${name}: label '${key}' is longer than ${MAX_LABEL_VALUE_LENGTH} characters`;
    }
    if (key === 'layer' && !(LAYER_INDEX.test(value) && Number(value) <= MAX_LAYER_INDEX)) {
      return `${name}: label layer='${value.slice(0, 32)}' is not a layer index 0..${MAX_LAYER_INDEX}`;
    }
    const allowed = def.labelValues?.[key];
    if (allowed && !allowed.includes(value)) {
      return `${name}: label ${key}='${value}' is not one of ${allowed.join(', ')}`;
    }
  }
  return undefined;
}

/**
 * Validates one sample as received from another process (untrusted input). Returns the problem,
 * or undefined when the sample matches the catalogue: known metric, right shape for its type,
 * exact label set, counters non-negative and finite, histogram buckets consistent.
 */
export function sampleProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'sample must be an object';
  const sample = raw as Record<string, unknown>;
  const name = sample['name'];
  if (typeof name !== 'string') return 'sample name must be a string';
  const def = metricDefinition(name);
  if (!def) return `unknown metric '${name.slice(0, 64)}'`;
  if (def.source !== 'process') return `${name} is written by the exporter, not sent by processes`;
  const labels = labelProblem(name, def, sample['labels']);
  if (labels) return labels;

  if (def.type === 'histogram') {
    const { buckets, count, sum } = sample;
    const bounds = def.buckets ?? [];
    if (!Array.isArray(buckets) || buckets.length !== bounds.length) {
      return `${name}: buckets must hold ${bounds.length} cumulative counts`;
    }
    if (!isCount(count)) return `${name}: count must be a non-negative integer`;
    if (typeof sum !== 'number' || Number.isNaN(sum)) return `${name}: sum must be a number`;
    let previous = 0;
    for (const b of buckets) {
      if (!isCount(b) || b < previous) return `${name}: buckets must be non-decreasing counts`;
      previous = b;
    }
    if (count < previous) return `${name}: count is below the last bucket`;
    return undefined;
  }

  const value = sample['value'];
  if (typeof value !== 'number') return `${name}: value must be a number`;
  if (def.type === 'counter' && !(Number.isFinite(value) && value >= 0)) {
    return `${name}: counter value must be finite and non-negative`;
  }
  return undefined;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}
