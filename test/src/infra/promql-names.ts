// Finds the metric names a PromQL expression reads, so dashboards and alert rules can be checked
// against the @awn/telemetry catalogue. Not a PromQL parser: it removes what cannot hold a metric
// name (strings, label matchers, ranges, grouping clauses, Grafana variables), then classifies
// each remaining identifier as a function, a keyword or a metric.

const FUNCTIONS = new Set([
  'abs',
  'absent',
  'absent_over_time',
  'avg',
  'avg_over_time',
  'bottomk',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'count',
  'count_over_time',
  'count_values',
  'day_of_month',
  'day_of_week',
  'delta',
  'deriv',
  'exp',
  'floor',
  'group',
  'histogram_quantile',
  'holt_winters',
  'idelta',
  'increase',
  'irate',
  'label_join',
  'label_replace',
  'last_over_time',
  'ln',
  'log10',
  'log2',
  'max',
  'max_over_time',
  'min',
  'min_over_time',
  'predict_linear',
  'present_over_time',
  'quantile',
  'quantile_over_time',
  'rate',
  'resets',
  'round',
  'scalar',
  'sgn',
  'sort',
  'sort_desc',
  'sqrt',
  'stddev',
  'stddev_over_time',
  'stdvar',
  'sum',
  'sum_over_time',
  'time',
  'timestamp',
  'topk',
  'vector',
]);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'Inf', 'NaN']);

export interface PromqlNames {
  metrics: string[];
  unknownFunctions: string[];
}

export function promqlNames(expr: string): PromqlNames {
  const stripped = expr
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\b(group_left|group_right)\b/g, ' ');
  const metrics: string[] = [];
  const unknownFunctions: string[] = [];
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (call) {
      if (!FUNCTIONS.has(name!)) unknownFunctions.push(name!);
    } else if (!KEYWORDS.has(name!)) {
      metrics.push(name!);
    }
  }
  return { metrics, unknownFunctions };
}
