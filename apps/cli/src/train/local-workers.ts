import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@awn/telemetry';

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/**
 * Worker processes on this machine, started with `awn worker` against a local coordinator. Their
 * log lines go to our stderr; `stop()` waits for every child and kills stragglers, so the process
 * tree never outlives the command.
 */
export class LocalWorkers {
  private readonly children: ChildProcess[] = [];
  private readonly exits: Promise<number | null>[] = [];

  constructor(
    private readonly logger: Logger,
    /** Called when a worker fails (non-zero exit) so the run can stop instead of waiting for it. */
    private readonly onFailure: (index: number, reason: string) => void = () => undefined,
  ) {}

  /** `env` adds to the inherited environment (the run's secret travels there, never in argv). */
  start(count: number, coordinator: string, extraArgs: string[] = [], env: Record<string, string> = {}): void {
    for (let i = 0; i < count; i++) {
      const child = spawn(process.execPath, [MAIN, 'worker', '--coordinator', coordinator, ...extraArgs], {
        stdio: ['ignore', 'inherit', 'inherit'],
        // Ctrl-C reaches the whole process group; the coordinator (this process) turns it into a
        // clean stop at a step all workers agree on, so the workers themselves ignore it.
        env: {
          ...process.env,
          ...env,
          AWN_LOG_LEVEL: process.env.AWN_LOG_LEVEL ?? 'warn',
          AWN_WORKER_IGNORE_SIGINT: '1',
        },
      });
      this.children.push(child);
      this.exits.push(
        new Promise((resolve) =>
          child.on('exit', (code, signal) => {
            if (code !== 0) {
              this.logger.warn({ pid: child.pid, code, signal }, `local worker ${i} exited with ${signal ?? code}`);
              this.onFailure(i, `local worker ${i} (pid ${child.pid}) exited with ${signal ?? `code ${code}`}`);
            }
            resolve(code);
          }),
        ),
      );
    }
  }

  /** Exit codes of every worker, waiting at most `graceMs` before killing the rest. */
  async stop(graceMs = 10_000): Promise<(number | null)[]> {
    const timer = setTimeout(() => {
      for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }, graceMs);
    try {
      return await Promise.all(this.exits);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills every worker at once (the coordinator failed to start). */
  kill(): void {
    for (const c of this.children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}
