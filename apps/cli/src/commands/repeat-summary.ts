import type { SeedResult } from './repeat-seed.js';

/** Table 1 of the paper (Errica et al., arXiv 2501.15889): AWN MLP, mean of 10 runs. */
export const PAPER_TABLE_1: Readonly<Record<string, { accuracy: number; totalWidth: number }>> = {
  doublemoon: { accuracy: 1.0, totalWidth: 8.1 },
  spiral: { accuracy: 0.998, totalWidth: 65.9 },
  spiralhard: { accuracy: 1.0, totalWidth: 227.4 },
};

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

/** What `awn repeat` writes to its JSON summary. */
export interface RepeatSummary {
  name: string;
  dataset: string;
  config: string;
  seeds: number[];
  parallel: number;
  metric: string;
  /** Over the selected models: test score and total width, mean ± std. */
  test: { mean: number; std: number };
  totalWidth: { mean: number; std: number };
  /** Seeds whose width sat at model.maxWidth at some step. */
  blowUps: number[];
  paper: { accuracy: number; totalWidth: number } | null;
  wallSeconds: number;
  runs: SeedResult[];
}

/** Aggregates the seeds' results. */
export function summarize(
  meta: { name: string; dataset: string; config: string; parallel: number; wallSeconds: number },
  runs: SeedResult[],
): RepeatSummary {
  const sorted = [...runs].sort((a, b) => a.seed - b.seed);
  return {
    ...meta,
    seeds: sorted.map((r) => r.seed),
    metric: sorted[0]?.metric ?? 'accuracy',
    test: meanStd(sorted.map((r) => r.selected.test)),
    totalWidth: meanStd(sorted.map((r) => r.selected.totalWidth)),
    blowUps: sorted.filter((r) => r.cappedSteps > 0).map((r) => r.seed),
    paper: PAPER_TABLE_1[meta.dataset] ?? null,
    runs: sorted,
  };
}

const percent = (v: number): string => `${(100 * v).toFixed(1)} %`;

function score(metric: string, v: number): string {
  return metric === 'accuracy' ? percent(v) : v.toFixed(4);
}

/** The table `awn repeat` prints: one line per seed, then mean ± std next to the paper's values. */
export function formatSummary(s: RepeatSummary): string {
  const lines: string[] = [];
  const pad = (cells: string[], widths: number[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const cols = [5, 10, 10, 10, 16, 10];
  lines.push(
    pad(['seed', 'selected', `val ${s.metric === 'accuracy' ? 'acc' : s.metric}`, `test`, 'widths', 'at cap'], cols),
  );
  for (const r of s.runs) {
    lines.push(
      pad(
        [
          String(r.seed),
          `step ${r.selected.step}`,
          score(r.metric, r.selected.validation),
          score(r.metric, r.selected.test),
          r.selected.widths.join('·'),
          r.cappedSteps > 0 ? `from ${r.firstCappedStep}` : 'never',
        ],
        cols,
      ),
    );
  }
  lines.push('');
  const fmt = (m: { mean: number; std: number }, f: (v: number) => string) => `${f(m.mean)} ± ${f(m.std)}`;
  const table = [18, 22, 16];
  lines.push(pad(['', `measured (${s.runs.length} seeds)`, s.paper ? 'paper (Table 1)' : ''], table));
  lines.push(
    pad([`test ${s.metric}`, fmt(s.test, (v) => score(s.metric, v)), s.paper ? percent(s.paper.accuracy) : ''], table),
  );
  lines.push(
    pad(['total width', fmt(s.totalWidth, (v) => v.toFixed(1)), s.paper ? s.paper.totalWidth.toFixed(1) : ''], table),
  );
  lines.push('');
  lines.push(
    `blow-ups (a layer at model.maxWidth): ${s.blowUps.length} of ${s.runs.length}${s.blowUps.length ? ` (seeds ${s.blowUps.join(', ')})` : ''}`,
  );
  lines.push(`wall time: ${s.wallSeconds.toFixed(0)} s with ${s.parallel} in parallel`);
  return `${lines.join('\n')}\n`;
}
