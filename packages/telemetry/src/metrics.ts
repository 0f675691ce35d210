// The one catalogue of every awn metric. Producers, the exporter, the Grafana dashboard test and
// the alert rules all read names, types and labels from here, so a metric is renamed in one place.

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Base units, as Prometheus naming asks (seconds, bytes), or what a dimensionless value counts. */
export type MetricUnit =
  | 'seconds'
  | 'bytes'
  | 'samples'
  | 'neurons'
  | 'nats'
  | 'per_neuron'
  | 'messages'
  | 'events'
  | 'workers'
  | 'generation'
  | 'step'
  | 'info'
  | 'boolean';

/**
 * Who writes a metric. `process`: a producer records it with `MetricsRecorder` and sends it in
 * snapshots. `header`: the exporter derives it from the snapshot header (generation, step), so a
 * producer cannot contradict its own header. `exporter`: the exporter alone knows it (liveness).
 */
export type MetricSource = 'process' | 'header' | 'exporter';

export interface MetricDefinition {
  readonly type: MetricType;
  readonly help: string;
  readonly unit: MetricUnit;
  readonly labels: readonly string[];
  /** Where present, the only values each label may take (checked by the recorder and exporter). */
  readonly labelValues?: Readonly<Record<string, readonly string[]>>;
  /** Upper bounds (le) of a histogram's finite buckets, strictly increasing; +Inf is implicit. */
  readonly buckets?: readonly number[];
  readonly source: MetricSource;
}

export const LOSS_TERMS = ['total', 'nll', 'weight_prior', 'rate_prior'] as const;
export const STEP_PHASES = ['compute', 'allreduce', 'update', 'data'] as const;
export type LossTerm = (typeof LOSS_TERMS)[number];
export type StepPhase = (typeof STEP_PHASES)[number];

/** Labels the exporter adds to every series so that each process stays a separate series. */
export const SENDER_LABELS = ['role', 'rank'] as const;
export const SENDER_ROLES = ['coordinator', 'worker'] as const;
export type SenderRole = (typeof SENDER_ROLES)[number];

// Steps of a small MLP on wasm take milliseconds; a transformer step on a slow CPU takes tens of
// seconds. Bounds span both so a quantile is never pinned to the first or last bucket.
const STEP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
const CHECKPOINT_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

export const METRICS = {
  awn_layer_width: {
    type: 'gauge',
    help: 'Current width D of each adaptive layer, in neurons.',
    unit: 'neurons',
    labels: ['layer'],
    source: 'process',
  },
  awn_layer_rate: {
    type: 'gauge',
    help: 'Current rate lambda of the width distribution of each adaptive layer.',
    unit: 'per_neuron',
    labels: ['layer'],
    source: 'process',
  },
  awn_layer_at_max_width: {
    type: 'gauge',
    help: '1 while the rate of an adaptive layer asks for at least model.maxWidth neurons (the cap, not the learned distribution, sets the width: the width ran away), else 0.',
    unit: 'boolean',
    labels: ['layer'],
    source: 'process',
  },
  awn_total_width: {
    type: 'gauge',
    help: 'Sum of the widths of all adaptive layers, in neurons.',
    unit: 'neurons',
    labels: [],
    source: 'process',
  },
  awn_loss: {
    type: 'gauge',
    help: 'Training loss of the last step and its terms, in nats per sample; NaN when the loss diverged.',
    unit: 'nats',
    labels: ['term'],
    labelValues: { term: LOSS_TERMS },
    source: 'process',
  },
  awn_step_seconds: {
    type: 'histogram',
    help: 'Wall time of each phase of a training step, in seconds.',
    unit: 'seconds',
    labels: ['phase'],
    labelValues: { phase: STEP_PHASES },
    buckets: STEP_BUCKETS,
    source: 'process',
  },
  awn_samples_total: {
    type: 'counter',
    help: 'Training samples processed by this process.',
    unit: 'samples',
    labels: [],
    source: 'process',
  },
  awn_allreduce_bytes_total: {
    type: 'counter',
    help: 'Gradient bytes sent by this process in all-reduce operations.',
    unit: 'bytes',
    labels: [],
    source: 'process',
  },
  awn_width_changes_total: {
    type: 'counter',
    help: 'Times the width of a layer changed (grew or shrank).',
    unit: 'events',
    labels: ['layer'],
    source: 'process',
  },
  awn_memory_bytes: {
    type: 'gauge',
    help: "Memory of this process after its latest step: resident set (rss) and the tensor engine's bytes in tensors (engine, tf.memory).",
    unit: 'bytes',
    labels: ['kind'],
    labelValues: { kind: ['rss', 'engine'] },
    source: 'process',
  },
  awn_dropped_messages_total: {
    type: 'counter',
    help: 'Messages dropped instead of processed, by reason (malformed, unauthenticated, queue full, ...).',
    unit: 'messages',
    labels: ['reason'],
    source: 'process',
  },
  awn_workers: {
    type: 'gauge',
    help: 'Workers known to the coordinator, by state.',
    unit: 'workers',
    labels: ['state'],
    source: 'process',
  },
  awn_generation: {
    type: 'gauge',
    help: 'Cluster generation the process is in; bumped whenever the ring is re-formed.',
    unit: 'generation',
    labels: [],
    source: 'header',
  },
  awn_step: {
    type: 'gauge',
    help: 'Last training step the process reported.',
    unit: 'step',
    labels: [],
    source: 'header',
  },
  awn_checkpoint_seconds: {
    type: 'histogram',
    help: 'Time to write one checkpoint (serialize, fsync, rename), in seconds.',
    unit: 'seconds',
    labels: [],
    buckets: CHECKPOINT_BUCKETS,
    source: 'process',
  },
  awn_build_info: {
    type: 'gauge',
    help: 'Always 1; labels name the awn version, tensor backend and Node.js version of the process.',
    unit: 'info',
    labels: ['version', 'backend', 'node'],
    source: 'process',
  },
  awn_up: {
    type: 'gauge',
    help: '1 while the exporter hears from the process, 0 once it has been silent for longer than the staleness limit.',
    unit: 'boolean',
    labels: [],
    source: 'exporter',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;
type Def<N extends MetricName> = (typeof METRICS)[N];

export type CounterName = { [N in MetricName]: Def<N>['type'] extends 'counter' ? N : never }[MetricName];
export type GaugeName = { [N in MetricName]: Def<N>['type'] extends 'gauge' ? N : never }[MetricName];
export type HistogramName = { [N in MetricName]: Def<N>['type'] extends 'histogram' ? N : never }[MetricName];
/** Metrics a producer may record; the others are written by the exporter. */
export type ProcessMetricName = { [N in MetricName]: Def<N>['source'] extends 'process' ? N : never }[MetricName];

type LabelValueOf<N extends MetricName, L extends string> =
  Def<N> extends {
    labelValues: { readonly [K in L]: readonly (infer V)[] };
  }
    ? V
    : string;

/** The label set a metric takes: every declared label, each with its allowed values. */
export type LabelsOf<N extends MetricName> = {
  [L in Def<N>['labels'][number]]: LabelValueOf<N, L>;
};

export function metricDefinition(name: string): MetricDefinition | undefined {
  return Object.hasOwn(METRICS, name) ? (METRICS as Record<string, MetricDefinition>)[name] : undefined;
}

export function isMetricName(name: string): name is MetricName {
  return metricDefinition(name) !== undefined;
}

/**
 * Names under which a metric appears in the Prometheus exposition: histograms expand to
 * `_bucket`, `_sum` and `_count` series. Used to check queries (dashboards, alerts) against the
 * catalogue.
 */
export function exposedSeriesNames(): ReadonlySet<string> {
  const names = new Set<string>();
  for (const [name, def] of Object.entries(METRICS) as [string, MetricDefinition][]) {
    if (def.type === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    } else {
      names.add(name);
    }
  }
  return names;
}
