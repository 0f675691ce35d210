// Shared by the command tests: runs the compiled `awn` as a user would. The name matches the
// package's `!dist/**/*.test.*` rule, so it is not published, but not `*.test.js`, so it is not run.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../../../', import.meta.url));
export const main = join(root, 'apps/cli/dist/main.js');

export interface AwnResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `awn ARGS` to completion (log level warn unless `env` says otherwise); a run past `timeoutMs` is killed and fails the test. */
export function awn(args: string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = {}, cwd = root): Promise<AwnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], {
      cwd,
      env: { ...process.env, AWN_LOG_LEVEL: 'warn', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`awn ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Trains the DoubleMoon example briefly into `out` and returns its summary.json. */
export async function trainDoubleMoon(
  out: string,
  steps = 300,
): Promise<{ test: { accuracy: number }; widths: number[] }> {
  const r = await awn(['train', '--config', 'examples/doublemoon.json', '--steps', String(steps), '--out', out]);
  if (r.code !== 0) throw new Error(`awn train failed (${r.code}): ${r.stderr}`);
  return JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
}

/** Copies a file with one byte inverted in the middle: a checksum must catch it. */
export async function flipByte(source: string, target: string): Promise<void> {
  const bytes = await readFile(source);
  bytes[bytes.length >> 1] ^= 0xff;
  await writeFile(target, bytes);
}

/** Escapes a string for use inside a RegExp. */
export function literal(s: string): RegExp {
  return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}
