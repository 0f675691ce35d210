import { memory as engineMemory } from '@tensorflow/tfjs-core';
import { MetricsPusher, MetricsRecorder } from '@awn/telemetry';
import type { StepMetrics } from '@awn/core';

/** How often a worker pushes its cumulative metrics snapshot (ms). */
export const PUSH_INTERVAL_MS = 1000;

/**
 * A worker's metrics: cumulative counters and histograms plus current gauges, pushed to the
 * metrics exporter every second (never blocking training) and once more at the end.
 */
export class WorkerTelemetry {
  readonly recorder = new MetricsRecorder();
  private readonly pusher: MetricsPusher | undefined;
  private readonly stopPushing: () => void = () => undefined;
  private step = 0;
  private readonly generation: number;

  constructor(options: {
    endpoint: string | undefined;
    runId: string;
    rank: number;
    generation: number;
    backend: string;
    version: string;
  }) {
    this.generation = options.generation;
    this.recorder.buildInfo({ version: options.version, backend: options.backend });
    if (!options.endpoint) return;
    this.pusher = new MetricsPusher({
      endpoint: options.endpoint,
      runId: options.runId,
      rank: options.rank,
      role: 'worker',
    });
    this.stopPushing = this.pusher.pushEvery(PUSH_INTERVAL_MS, () => ({
      generation: options.generation,
      step: this.step,
      samples: this.recorder.snapshot(),
    }));
  }

  /** Records one completed step: phase timings, samples, bytes all-reduced, widths, rates, loss. */
  recordStep(m: StepMetrics, localSamples: number, allreduceBytes: number): void {
    this.step = m.step + 1;
    const r = this.recorder;
    r.observe('awn_step_seconds', m.seconds.data, { phase: 'data' });
    r.observe('awn_step_seconds', m.seconds.compute, { phase: 'compute' });
    r.observe('awn_step_seconds', m.seconds.allreduce, { phase: 'allreduce' });
    r.observe('awn_step_seconds', m.seconds.update, { phase: 'update' });
    r.inc('awn_samples_total', localSamples);
    r.inc('awn_allreduce_bytes_total', allreduceBytes);
    m.widths.forEach((w, i) => r.gauge('awn_layer_width', w, { layer: String(i) }));
    m.rates.forEach((rate, i) => r.gauge('awn_layer_rate', rate, { layer: String(i) }));
    m.widths.forEach((_, i) =>
      r.gauge('awn_layer_at_max_width', m.atMaxWidth.includes(i) ? 1 : 0, { layer: String(i) }),
    );
    for (const c of m.widthChanges) r.inc('awn_width_changes_total', 1, { layer: String(c.layer) });
    r.gauge(
      'awn_total_width',
      m.widths.reduce((a, b) => a + b, 0),
    );
    r.gauge('awn_loss', m.loss.total, { term: 'total' });
    r.gauge('awn_loss', m.loss.nll, { term: 'nll' });
    r.gauge('awn_loss', m.loss.weightPrior, { term: 'weight_prior' });
    r.gauge('awn_loss', m.loss.ratePrior, { term: 'rate_prior' });
    const mem = WorkerTelemetry.memory();
    r.gauge('awn_memory_bytes', mem.rss, { kind: 'rss' });
    r.gauge('awn_memory_bytes', mem.engine, { kind: 'engine' });
  }

  /** This process's resident set and the tensor engine's bytes in tensors. */
  static memory(): { rss: number; engine: number } {
    return { rss: process.memoryUsage.rss(), engine: engineMemory().numBytes };
  }

  /** Pushes the final snapshot and closes the socket (waiting briefly for it to leave). */
  async close(): Promise<void> {
    this.stopPushing();
    this.pusher?.push({ generation: this.generation, step: this.step, samples: this.recorder.snapshot() });
    await this.pusher?.close();
  }
}
