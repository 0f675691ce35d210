import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, OpOutcome, RankOp, RankSetup } from './data.js';

const RANK_PROCESS = fileURLToPath(new URL('./rank-process.js', import.meta.url));

export interface RankReport {
  readonly rank: number;
  readonly outcomes: OpOutcome[];
  readonly counters: unknown;
}

/** N rank processes on loopback; each test kills what it started with `close`. */
export class ProcessCluster {
  private constructor(
    private readonly children: ChildProcess[],
    private readonly addresses: string[],
  ) {}

  static async start(worldSize: number, setup: RankSetup): Promise<ProcessCluster> {
    const children: ChildProcess[] = [];
    const bound: Promise<string>[] = [];
    for (let rank = 0; rank < worldSize; rank++) {
      const child = spawn(process.execPath, [RANK_PROCESS, JSON.stringify(setup)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      bound.push(
        new Promise((resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (code) => reject(new Error(`rank process exited with ${code} before binding`)));
          child.on('message', (m: ChildMessage) => {
            if (m.kind === 'bound') resolve(m.address);
          });
        }),
      );
    }
    const cluster = new ProcessCluster(children, []);
    try {
      cluster.addresses.push(...(await Promise.all(bound)));
    } catch (error) {
      cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Starts every rank on its ops; resolves when each has reported all outcomes and exited. */
  run(opsByRank: readonly RankOp[][], onStarted?: () => void): Promise<RankReport[]> {
    let started = 0;
    return Promise.all(
      this.children.map(
        (child, rank) =>
          new Promise<RankReport>((resolve, reject) => {
            const outcomes: OpOutcome[] = [];
            let counters: unknown;
            child.on('message', (m: ChildMessage) => {
              if (m.kind === 'result') outcomes[m.index] = m.outcome;
              if (m.kind === 'done') counters = m.counters;
              if (m.kind === 'started' && ++started === this.children.length) onStarted?.();
            });
            child.removeAllListeners('exit');
            child.once('exit', (code, signal) => {
              if (signal === 'SIGKILL' || code === 0) resolve({ rank, outcomes, counters });
              else reject(new Error(`rank ${rank} exited with ${code ?? signal}`));
            });
            child.send({
              kind: 'start',
              rank,
              worldSize: this.children.length,
              peers: this.addresses,
              ops: opsByRank[rank] ?? [],
            });
          }),
      ),
    );
  }

  kill(rank: number): void {
    this.children[rank]?.kill('SIGKILL');
  }

  close(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
