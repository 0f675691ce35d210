import { spawnSync } from 'node:child_process';
import { Push } from 'zeromq';
import {
  createLogger,
  encodeSnapshot,
  SNAPSHOT_WIRE_VERSION,
  type MetricSample,
  type SnapshotMessage,
} from '@awn/telemetry';
import { startMetricsExporter, type MetricsExporter, type MetricsExporterOptions } from './exporter.js';

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function startTestExporter(options: MetricsExporterOptions = {}): Promise<MetricsExporter> {
  return startMetricsExporter({
    bind: 'tcp://127.0.0.1:0',
    http: { host: '127.0.0.1', port: 0 },
    logger: createLogger({ name: 'metrics-exporter', level: 'silent' }),
    ...options,
  });
}

export async function scrapeText(exporter: MetricsExporter, path = '/metrics'): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${exporter.httpPort}${path}`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  return res.text();
}

/** Parses Prometheus text exposition lines (not comments) into series. */
export function parseExposition(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    const raw = m[3]!;
    const value =
      raw === 'Nan' || raw === 'NaN'
        ? Number.NaN
        : raw === '+Inf'
          ? Infinity
          : raw === '-Inf'
            ? -Infinity
            : Number(raw);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

export async function scrape(exporter: MetricsExporter): Promise<Series[]> {
  return parseExposition(await scrapeText(exporter));
}

/** Value of the one series with this name whose labels include `labels`; undefined when absent. */
export function seriesValue(series: Series[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${hits.length} series`);
  return hits[0]?.value;
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A plain ZeroMQ Push socket, to send exactly the bytes a test chooses. */
export async function rawPusher(endpoint: string): Promise<Push> {
  const push = new Push({ linger: 0, sendTimeout: 2000 });
  push.connect(endpoint);
  return push;
}

/** Deterministic bytes, so a failing random-input case can be reproduced. */
export function pseudoRandomBytes(seed: number, length: number): Buffer {
  let x = seed >>> 0 || 1;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The repository root, from this file's place in apps/metrics-exporter/dist/. */
export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

/** Whether a command-line tool runs here; infra tests skip (with the reason) when it does not. */
export function toolAvailable(command: string, args: string[]): boolean {
  const probe = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  return probe.status === 0;
}

/** A snapshot of run-a, rank 0, role worker, generation 1, step 1, with `fields` on top. */
export function message(fields: Partial<SnapshotMessage> & { samples: readonly MetricSample[] }): SnapshotMessage {
  return { v: SNAPSHOT_WIRE_VERSION, runId: 'run-a', rank: 0, role: 'worker', generation: 1, step: 1, ...fields };
}

/** Sends a snapshot and waits until the exporter shows its step, i.e. has applied it. */
export async function deliver(exporter: MetricsExporter, push: Push, m: SnapshotMessage): Promise<void> {
  await push.send(encodeSnapshot(m));
  const who = { role: m.role, rank: String(m.rank) };
  await waitFor(
    `step ${m.step} of ${m.role} ${m.rank}`,
    async () => seriesValue(await scrape(exporter), 'awn_step', who) === m.step,
  );
}
