import type { Communicator } from '@awn/collective';
import { widthHash } from '@awn/protocol';
import type { AdaptiveModel, GradientReducer } from '@awn/core';
import { reusedBuffer } from '@awn/core/internal';

/** Values appended to every gradient bucket: four loss terms and the stop vote. */
const EXTRA = 5;

/**
 * The data-parallel gradient reduction plugged into core's `fit`: one weighted ring all-reduce
 * (weights = local batch sizes) of [gradient, loss terms, stop vote]. Averaging the loss in the
 * same message costs nothing extra, and the stop vote makes every rank see the same decision at
 * the same step, so a Ctrl-C or a coordinator request never leaves one rank waiting on another.
 */
export function ringReducer(args: {
  comm: Communicator;
  model: AdaptiveModel;
  globalBatch: number;
  /** Deadline of each all-reduce (ms), or a function giving the current one (it follows the step time). */
  deadlineMs: number | (() => number);
  wantsStop: () => boolean;
  onAgreedStop: (step: number) => void;
  /** Test-only: synchronous work before each all-reduce (ms), standing in for a slow model's step. */
  computeDelayMs?: number;
}): GradientReducer {
  const deadline = typeof args.deadlineMs === 'function' ? args.deadlineMs : () => args.deadlineMs as number;
  // One buffer reused across steps, with headroom, the bucket a prefix of it: a fresh
  // multi-megabyte array per step, or per width change (most steps of an adaptive Transformer),
  // is garbage whose collection lands in the all-reduce, where the peer waits for it.
  let capacity: Float32Array = new Float32Array(0);
  return async (gradient, localBatch, step, loss) => {
    if (args.computeDelayMs) blockThread(args.computeDelayMs);
    const length = gradient.length + EXTRA;
    capacity = reusedBuffer(capacity, length);
    const bucket = capacity.subarray(0, length);
    bucket.set(gradient);
    bucket.set([loss.total, loss.nll, loss.weightPrior, loss.ratePrior, args.wantsStop() ? 1 : 0], gradient.length);
    const widths = args.model.adaptiveLayers.map((l) => l.width);
    await args.comm.allReduceMean(bucket, localBatch, {
      step,
      bucketId: 0,
      widthHash: widthHash(widths),
      deadlineMs: deadline(),
    });
    const n = gradient.length;
    if (bucket[n + 4] > 0) args.onAgreedStop(step);
    // The caller's optimizer reads the mean gradient before the next step overwrites the bucket.
    return {
      gradient: bucket.subarray(0, n),
      globalBatch: args.globalBatch,
      loss: { total: bucket[n], nll: bucket[n + 1], weightPrior: bucket[n + 2], ratePrior: bucket[n + 3] },
    };
  };
}

/** Holds the thread like synchronous compute does (timers and I/O callbacks of this thread wait). */
function blockThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
