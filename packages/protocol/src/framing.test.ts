import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageCodec } from './framing.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from './limits.js';
import { MESSAGE_TYPES } from './messages.js';
import { withEnvelope } from './envelope.js';
import { asBytes, tensorToArray } from './tensors.js';
import { ENVELOPE, RUN_ID, SAMPLES } from './testing/fixtures.js';

/** What crossed the wire: frames copied, so no view shares memory with the sender's arrays. */
function transmit(frames: readonly Uint8Array[]): Buffer[] {
  return frames.map((f) => Buffer.from(f));
}

describe('framing round trips', () => {
  const codec = new MessageCodec({ runId: RUN_ID });

  for (const type of MESSAGE_TYPES) {
    it(`round-trips ${type}`, () => {
      const { message, tensors } = SAMPLES[type];
      const decoded = codec.decode(transmit(codec.encode(message, tensors)));
      assert.deepEqual(decoded.message, message);
      assert.equal(decoded.tensors.length, tensors.length);
      for (const [i, input] of tensors.entries()) {
        const got = decoded.tensors[i];
        assert.ok(got);
        assert.equal(got.descriptor.name, input.name ?? '');
        assert.deepEqual(got.descriptor.shape, input.shape ?? [input.data.length]);
        assert.deepEqual(Buffer.from(asBytes(tensorToArray(got))), Buffer.from(asBytes(input.data)));
        assert.equal(tensorToArray(got).constructor, input.data.constructor);
      }
    });
  }

  it('drops fields the schema does not know', () => {
    const message = { ...SAMPLES.heartbeat.message, extra: 'ignored' };
    const decoded = codec.decode(transmit(codec.encode(message)));
    assert.equal(Object.hasOwn(decoded.message, 'extra'), false);
  });

  it('splits tensors over 16 MiB into frames of at most 16 MiB and reassembles them', () => {
    const data = new Float32Array(5_000_000);
    for (let i = 0; i < data.length; i++) data[i] = (i % 1013) - 506.5;
    const { message } = SAMPLES['allreduce-chunk'];
    const chunk = { ...message, offset: 0, length: data.length, total: data.length };
    const frames = codec.encode(chunk, [{ data }]);
    assert.equal(frames.length, 1 + Math.ceil(data.byteLength / MAX_FRAME_BYTES));
    for (const frame of frames.slice(1)) assert.ok(frame.byteLength <= MAX_FRAME_BYTES);
    const decoded = codec.decode(transmit(frames));
    const tensor = decoded.tensors[0];
    assert.ok(tensor);
    assert.equal(tensor.frames.length, 2);
    assert.deepEqual(tensorToArray(tensor), data);
  });

  it('honours a smaller frame size', () => {
    const small = new MessageCodec({ runId: RUN_ID, frameBytes: 8 });
    const { message, tensors } = SAMPLES['allreduce-chunk'];
    const frames = small.encode(message, tensors);
    assert.deepEqual(
      frames.slice(1).map((f) => f.byteLength),
      [8, 8],
    );
    assert.deepEqual(tensorToArray(small.decode(transmit(frames)).tensors[0]!), tensors[0]!.data);
  });

  it('payload frames are views of the sender arrays, not copies', () => {
    const data = new Float32Array(64);
    const frames = codec.encode({ ...SAMPLES['allreduce-chunk'].message, length: 64, offset: 0, total: 64 }, [
      { data },
    ]);
    data[0] = 42;
    assert.equal(new Float32Array(frames[1]!.buffer, frames[1]!.byteOffset, 1)[0], 42);
  });

  it('withEnvelope stamps the current protocol version', () => {
    const message = withEnvelope({ runId: RUN_ID, generation: 1, step: 2, sender: 0 }, 'shutdown', {
      reason: 'done',
      exitCode: 0,
    });
    assert.equal(message.version, PROTOCOL_VERSION);
    assert.deepEqual(codec.decode(codec.encode(message)).message, message);
  });

  it('refuses to encode what a receiver would refuse', () => {
    assert.throws(() => codec.encode({ ...ENVELOPE, type: 'evict', rank: -1, workerId: 'w', reason: 'x' }), {
      name: 'ProtocolError',
      code: 'malformed',
    });
    const { message } = SAMPLES['allreduce-chunk'];
    assert.throws(() => codec.encode(message, [{ data: new Float32Array(3) }]), { code: 'malformed' });
  });
});
