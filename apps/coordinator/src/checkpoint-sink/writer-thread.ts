/**
 * Verifies and writes checkpoints off the coordinator's main thread. Checking a checkpoint's
 * SHA-256 is synchronous and takes seconds for a large model; on the main thread it would hold
 * back heartbeats and step reports, and workers would count a healthy coordinator as lost.
 */
import { parentPort } from 'node:worker_threads';
import { join } from 'node:path';
import { checkpointFileName, pruneCheckpoints, saveEncodedCheckpoint } from '@awn/core/internal';
import type { WriteRequest, WriteResult } from './checkpoint-writer.js';

const port = parentPort!;
// One write at a time, in arrival order: pruning must never race a newer write.
let queue: Promise<void> = Promise.resolve();
port.on('message', (r: WriteRequest) => {
  queue = queue.then(async () => {
    const result: WriteResult = await write(r);
    // A final state goes back to the main thread, which scores it; moved, not copied.
    if (r.returnBytes) result.bytes = r.bytes;
    port.postMessage(result, r.returnBytes ? [r.bytes.buffer as ArrayBuffer] : []);
  });
});

async function write(r: WriteRequest): Promise<WriteResult> {
  const t0 = performance.now();
  try {
    const path = join(r.dir, checkpointFileName(r.step));
    // Verified first: a state damaged in flight never replaces a good checkpoint. The bytes are
    // written as they came, not re-encoded.
    await saveEncodedCheckpoint(path, r.bytes, `state of step ${r.step} from rank 0`);
    await pruneCheckpoints(r.dir, r.keep);
    return { id: r.id, path, seconds: (performance.now() - t0) / 1e3 };
  } catch (error) {
    return { id: r.id, error: error instanceof Error ? error.message : String(error) };
  }
}
