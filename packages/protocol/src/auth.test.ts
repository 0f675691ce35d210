import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageCodec } from './framing.js';
import { SAMPLES, RUN_ID } from './testing/fixtures.js';
import { ProtocolError } from './errors.js';
import { tensorToArray } from './tensors.js';

const secret = Buffer.from('a shared secret of some length');
const signed = new MessageCodec({ runId: RUN_ID, secret });

function badSignature(frames: readonly Uint8Array[], receiver = signed): void {
  assert.throws(
    () => receiver.decode(frames),
    (e: unknown) => e instanceof ProtocolError && e.code === 'bad-signature',
  );
}

describe('HMAC authentication', () => {
  const { message, tensors } = SAMPLES['allreduce-chunk'];

  it('accepts a signed message with the right secret, given as bytes or text', () => {
    const frames = signed.encode(message, tensors);
    assert.equal(frames.length, 3);
    assert.equal(frames[2]!.byteLength, 32);
    const decoded = signed.decode(frames.map((f) => Buffer.from(f)));
    assert.deepEqual(decoded.message, message);
    assert.deepEqual(tensorToArray(decoded.tensors[0]!), tensors[0]!.data);
    const textual = new MessageCodec({ runId: RUN_ID, secret: secret.toString() });
    assert.deepEqual(textual.decode(frames).message, message);
  });

  it('rejects a wrong secret', () => {
    badSignature(signed.encode(message, tensors), new MessageCodec({ runId: RUN_ID, secret: 'another secret' }));
  });

  it('rejects any flipped bit in header, payload or tag', () => {
    const frames = signed.encode(message, tensors).map((f) => Buffer.from(f));
    for (let f = 0; f < frames.length; f++) {
      for (const index of [0, frames[f]!.byteLength - 1]) {
        const copy = frames.map((x) => Buffer.from(x));
        copy[f]![index]! ^= 0x01;
        badSignature(copy);
      }
    }
  });

  it('rejects bytes moved across a frame boundary', () => {
    const frames = signed.encode(message, tensors).map((f) => Buffer.from(f));
    const [head, payload, tag] = frames as [Buffer, Buffer, Buffer];
    badSignature([Buffer.concat([head, payload.subarray(0, 4)]), payload.subarray(4), tag]);
  });

  it('rejects a missing or truncated tag, and a bare unsigned message', () => {
    const frames = signed.encode(message, tensors);
    badSignature(frames.slice(0, -1));
    badSignature([...frames.slice(0, -1), frames[2]!.subarray(0, 16)]);
    badSignature([frames[2]!]);
  });

  it('refuses an empty secret', () => {
    assert.throws(() => new MessageCodec({ secret: '' }), RangeError);
  });
});
