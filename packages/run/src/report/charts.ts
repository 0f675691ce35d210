import type { TopLevelSpec } from 'vega-lite';

/** One row per logged step, flattened for Vega-Lite's long format. */
export interface MetricRow {
  step: number;
  series: string;
  value: number;
}

const WIDTH = 760;
const HEIGHT = 260;

/** Exponential moving average weight of the smoothed throughput line. */
const SMOOTHING = 0.9;

/** How each validation or likelihood metric reads, for axis titles. */
const METRIC_AXIS: Record<string, string> = {
  accuracy: 'accuracy (higher is better)',
  mse: 'mean squared error (lower is better)',
  bitsPerByte: 'bits per byte (lower is better)',
  nll: 'nll, nats per example (lower is better)',
};

function lineChart(
  title: string,
  rows: MetricRow[],
  yTitle: string,
  options: { logY?: boolean; xTitle?: string; xField?: string; dashed?: string[] } = {},
): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'line', interpolate: 'linear', strokeWidth: 1.5 },
    encoding: {
      x: { field: options.xField ?? 'step', type: 'quantitative', title: options.xTitle ?? 'step' },
      y: {
        field: 'value',
        type: 'quantitative',
        title: yTitle,
        scale: options.logY ? { type: 'symlog' } : { zero: false },
      },
      color: { field: 'series', type: 'nominal', title: null },
      ...(options.dashed
        ? {
            opacity: {
              condition: { test: `indexof(${JSON.stringify(options.dashed)}, datum.series) >= 0`, value: 0.35 },
              value: 1,
            },
          }
        : {}),
    },
  };
}

/** Nats → bits. */
const BITS_PER_NAT = 1 / Math.LN2;

/** Every chart of the report, built from metrics.jsonl rows and summary.json. */
export function reportCharts(
  metrics: Record<string, unknown>[],
  summary: Record<string, unknown>,
): { id: string; spec: TopLevelSpec }[] {
  const widthRows: MetricRow[] = [];
  const totalRows: MetricRow[] = [];
  const lossRows: MetricRow[] = [];
  const likelihoodRows: MetricRow[] = [];
  const speedRows: MetricRow[] = [];
  const validationRows: MetricRow[] = [];
  const text = (summary.test as Record<string, unknown> | undefined)?.bitsPerByte !== undefined;
  let smoothed: number | undefined;
  for (const m of metrics) {
    const step = m.step as number;
    (m.widths as number[]).forEach((w, i) => widthRows.push({ step, series: `layer ${i}`, value: w }));
    totalRows.push({ step, series: 'total width', value: m.totalWidth as number });
    for (const term of ['loss', 'nll', 'weightPrior', 'ratePrior'] as const) {
      if (typeof m[term] === 'number' && Number.isFinite(m[term]))
        lossRows.push({ step, series: term === 'loss' ? 'total' : term, value: m[term] as number });
    }
    if (typeof m.nll === 'number' && Number.isFinite(m.nll))
      likelihoodRows.push({
        step,
        series: text ? 'train bits/byte' : 'train nll',
        value: text ? m.nll * BITS_PER_NAT : m.nll,
      });
    if (typeof m.samplesPerSecond === 'number' && Number.isFinite(m.samplesPerSecond)) {
      smoothed =
        smoothed === undefined ? m.samplesPerSecond : SMOOTHING * smoothed + (1 - SMOOTHING) * m.samplesPerSecond;
      speedRows.push(
        { step, series: 'samples/s', value: m.samplesPerSecond },
        { step, series: 'smoothed', value: smoothed },
      );
    }
    const v = m.validation as Record<string, number> | undefined;
    if (v) {
      for (const [k, value] of Object.entries(v))
        if (k !== 'nll') validationRows.push({ step, series: `validation ${k}`, value });
      if (typeof v.nll === 'number')
        likelihoodRows.push({
          step,
          series: text ? 'validation bits/byte' : 'validation nll',
          value: text ? v.nll * BITS_PER_NAT : v.nll,
        });
    }
  }
  const truncation = summary.truncation as
    | { metric: string; points: { keptShare: number; score: number }[] }
    | undefined;
  const curveRows = (truncation?.points ?? []).map((p) => ({
    kept: p.keptShare,
    series: truncation!.metric,
    value: p.score,
    step: 0,
  }));
  const charts: { id: string; spec: TopLevelSpec }[] = [
    {
      id: 'likelihood',
      spec: lineChart(
        text ? 'Bits per byte (the likelihood term)' : 'Negative log-likelihood (the likelihood term)',
        likelihoodRows,
        text ? METRIC_AXIS.bitsPerByte : METRIC_AXIS.nll,
      ),
    },
    { id: 'widths', spec: lineChart('Width of every adaptive layer', widthRows, 'neurons') },
    { id: 'total-width', spec: lineChart('Total width', totalRows, 'neurons') },
    {
      id: 'loss',
      spec: lineChart(
        'Loss terms (negative ELBO; the weight prior grows with width)',
        lossRows,
        'nats (lower is better)',
        { logY: true },
      ),
    },
    {
      id: 'samples-per-second',
      spec: lineChart('Throughput (raw and smoothed)', speedRows, 'samples per second (higher is better)', {
        dashed: ['samples/s'],
      }),
    },
  ];
  if (validationRows.length) {
    const metric = validationRows[0]!.series.replace('validation ', '');
    charts.splice(1, 0, {
      id: 'validation',
      spec: lineChart('Validation score over training', validationRows, METRIC_AXIS[metric] ?? metric),
    });
  }
  if (curveRows.length) {
    charts.push({
      id: 'truncation',
      spec: {
        ...lineChart(
          `Truncation curve: test ${truncation!.metric} vs neurons kept`,
          curveRows,
          METRIC_AXIS[truncation!.metric] ?? truncation!.metric,
          { xField: 'kept', xTitle: 'share of neurons kept' },
        ),
        mark: { type: 'line', point: true },
      } as TopLevelSpec,
    });
  }
  return charts;
}
