import type { TopLevelSpec } from 'vega-lite';

/** One row per logged step, flattened for Vega-Lite's long format. */
export interface MetricRow {
  step: number;
  series: string;
  value: number;
}

const WIDTH = 560;
const HEIGHT = 220;

function lineChart(title: string, rows: MetricRow[], yTitle: string, options: { logY?: boolean; xTitle?: string; xField?: string } = {}): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    mark: { type: 'line', interpolate: 'linear', strokeWidth: 1.5 },
    encoding: {
      x: { field: options.xField ?? 'step', type: 'quantitative', title: options.xTitle ?? 'step' },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: options.logY ? { type: 'symlog' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

/** Every chart of the report, built from metrics.jsonl rows and summary.json. */
export function reportCharts(metrics: Record<string, unknown>[], summary: Record<string, unknown>): { id: string; spec: TopLevelSpec }[] {
  const widthRows: MetricRow[] = [];
  const totalRows: MetricRow[] = [];
  const lossRows: MetricRow[] = [];
  const speedRows: MetricRow[] = [];
  const validationRows: MetricRow[] = [];
  for (const m of metrics) {
    const step = m.step as number;
    (m.widths as number[]).forEach((w, i) => widthRows.push({ step, series: `layer ${i}`, value: w }));
    totalRows.push({ step, series: 'total width', value: m.totalWidth as number });
    for (const term of ['loss', 'nll', 'weightPrior', 'ratePrior'] as const) {
      if (typeof m[term] === 'number' && Number.isFinite(m[term])) lossRows.push({ step, series: term === 'loss' ? 'total' : term, value: m[term] as number });
    }
    if (typeof m.samplesPerSecond === 'number') speedRows.push({ step, series: 'samples/s', value: m.samplesPerSecond });
    const v = m.validation as Record<string, number> | undefined;
    if (v) for (const [k, value] of Object.entries(v)) validationRows.push({ step, series: k, value });
  }
  const truncation = summary.truncation as { metric: string; points: { keptShare: number; score: number }[] } | undefined;
  const curveRows = (truncation?.points ?? []).map((p) => ({ kept: p.keptShare, series: truncation!.metric, value: p.score, step: 0 }));
  const charts: { id: string; spec: TopLevelSpec }[] = [
    { id: 'widths', spec: lineChart('Width of every adaptive layer', widthRows, 'neurons') },
    { id: 'total-width', spec: lineChart('Total width', totalRows, 'neurons') },
    { id: 'loss', spec: lineChart('Loss terms (negative ELBO)', lossRows, 'nats', { logY: true }) },
    { id: 'samples-per-second', spec: lineChart('Throughput', speedRows, 'samples/s') },
  ];
  if (validationRows.length) charts.push({ id: 'validation', spec: lineChart('Validation score', validationRows, 'score') });
  if (curveRows.length) {
    charts.push({
      id: 'truncation',
      spec: {
        ...lineChart(`Truncation curve: test ${truncation!.metric} vs neurons kept`, curveRows, truncation!.metric, { xField: 'kept', xTitle: 'share of neurons kept' }),
        mark: { type: 'line', point: true },
      } as TopLevelSpec,
    });
  }
  return charts;
}
