import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * `mkdir -p` one level at a time. Node's own recursive mkdir never returns under /proc (it
 * retries a path the kernel refuses with ENOENT forever), so a run asked to write to
 * `/proc/x/y` would hang instead of failing; each level here fails at once with its errno.
 */
export async function makeDirs(path: string): Promise<void> {
  const abs = resolve(path);
  const parent = dirname(abs);
  try {
    await mkdir(abs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || parent === abs) throw error;
    await makeDirs(parent);
    try {
      await mkdir(abs);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
  }
}
