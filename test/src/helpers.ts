import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository root, from the compiled test's location (test/dist/...). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The compiled `awn` command. */
export const AWN = join(ROOT, 'apps/cli/dist/main.js');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `awn` process whose output is collected. */
export class AwnProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly finished: Promise<Finished>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}, options: { detached?: boolean } = {}) {
    this.child = spawn(process.execPath, [AWN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      detached: options.detached,
    });
    this.child.stdout!.on('data', (d) => (this.stdout += d));
    this.child.stderr!.on('data', (d) => (this.stderr += d));
    this.finished = new Promise((resolve) =>
      this.child.on('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })),
    );
  }

  /** Resolves when the output so far matches `pattern` (polling), or rejects after `timeoutMs`. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const start = Date.now();
    for (;;) {
      const m = (this.stdout + this.stderr).match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null)
        throw new Error(`process exited before printing ${pattern}:\n${this.stderr.slice(-2000)}`);
      if (Date.now() - start > timeoutMs)
        throw new Error(`timed out waiting for ${pattern}:\n${this.stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits for exit, killing the process after `timeoutMs`. */
  async done(timeoutMs = 120_000): Promise<Finished> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.finished;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** Runs `awn` to completion. */
export function awn(args: string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new AwnProcess(args, env).done(timeoutMs);
}

/** Whether a process id is still alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for servers that must be told a port). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Whether `command args` runs and exits 0 (tests that need a system tool skip without it). */
export function toolAvailable(command: string, args: string[]): boolean {
  const probe = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  return probe.status === 0;
}

/** Every non-empty document of a YAML stream as plain data; a syntax error fails the test. */
export function yamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS();
    })
    .filter((value) => value !== null && value !== undefined);
}
