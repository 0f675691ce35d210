import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DecodedMessage } from '@awn/protocol';
import { CollectiveError } from './errors.js';
import { Inbox, type OpClock } from './inbox.js';

function chunk(bytes: number): DecodedMessage {
  const frame = new Uint8Array(bytes);
  return {
    message: { type: 'allreduce-chunk' } as DecodedMessage['message'],
    tensors: [
      { descriptor: { name: '', dtype: 'uint8', shape: [bytes], frames: 1 }, byteLength: bytes, frames: [frame] },
    ],
  };
}

const clock: OpClock = {
  startedAt: 0,
  deadlineAt: Number.MAX_SAFE_INTEGER,
  deadlineMs: 1e9,
  silenceMs: 1e9,
  graceMs: 0,
  predecessor: 0,
};

async function settled(promise: Promise<void> | undefined): Promise<boolean> {
  if (promise === undefined) return true;
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

describe('inbox flow control', () => {
  it('asks the reader to pause once the queued payload reaches its limit, and resumes it as the collective takes', async () => {
    const inbox = new Inbox(300);
    assert.equal(inbox.push(chunk(100)), undefined);
    assert.equal(inbox.push(chunk(100)), undefined);
    const pause = inbox.push(chunk(100));
    assert.ok(pause instanceof Promise, 'at 300 of 300 bytes the reader must wait');
    assert.equal(await settled(pause), false);
    assert.equal(inbox.peakBytes, 300);
    await inbox.take(clock);
    assert.equal(await settled(pause), true, 'taking one chunk makes room');
    assert.equal(inbox.push(chunk(50)), undefined);
    assert.equal(inbox.peakBytes, 300);
  });

  it('lets a paused reader go and drops what is queued when the collective fails', async () => {
    const inbox = new Inbox(100);
    const pause = inbox.push(chunk(150));
    assert.equal(await settled(pause), false);
    inbox.fail(new CollectiveError('aborted', 'test'));
    assert.equal(await settled(pause), true);
    assert.equal(inbox.push(chunk(500)), undefined, 'a failed inbox queues nothing and never pauses');
    await assert.rejects(inbox.take(clock), { code: 'aborted' });
  });
});
