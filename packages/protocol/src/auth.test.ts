import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageCodec } from './framing.js';
import { deriveRunKey, ReplayGuard, signFrames, TRAILER_BYTES } from './auth.js';
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
    assert.equal(frames.length, 4);
    assert.equal(frames[2]!.byteLength, TRAILER_BYTES);
    assert.equal(frames[3]!.byteLength, 32);
    const decoded = new MessageCodec({ runId: RUN_ID, secret }).decode(frames.map((f) => Buffer.from(f)));
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
    const [head, payload, trailer, tag] = frames as [Buffer, Buffer, Buffer, Buffer];
    badSignature([Buffer.concat([head, payload.subarray(0, 4)]), payload.subarray(4), trailer, tag]);
  });

  it('rejects a missing or truncated tag, and a bare unsigned message', () => {
    const frames = signed.encode(message, tensors);
    badSignature(frames.slice(0, -1));
    badSignature([...frames.slice(0, -1), frames[3]!.subarray(0, 16)]);
    badSignature([frames[3]!]);
  });

  it('refuses an empty secret', () => {
    assert.throws(() => new MessageCodec({ secret: '' }), RangeError);
  });

  it('rejects a message replayed into the same receiver, however often', () => {
    const receiver = new MessageCodec({ runId: RUN_ID, secret });
    const frames = signed.encode(message, tensors);
    receiver.decode(frames);
    for (let i = 0; i < 3; i++)
      assert.throws(
        () => receiver.decode(frames),
        (e: unknown) => e instanceof ProtocolError && e.code === 'replayed' && /already seen/.test(e.message),
      );
    // Each new message is fresh, so normal traffic never trips the guard.
    for (let i = 0; i < 100; i++) receiver.decode(signed.encode(message, tensors));
  });

  it("rejects a signed join captured from an earlier run, replayed into a new coordinator's receiver", () => {
    // Run ids differ, keys differ: the join of run A (run id '') verifies only within the window.
    const join = SAMPLES.join.message;
    const captured = signed.encode({ ...join, runId: '' });
    const guard = new ReplayGuard();
    const later = Date.now() + 10 * 60_000;
    // The new coordinator's guard has never seen it, but its clock says it was signed 10 min ago.
    assert.match(guard.admit(captured[captured.length - 2]!, later) ?? '', /600 s ago .* a replay/);
    const trailer = Buffer.from(captured[captured.length - 2]!);
    const fresh = new MessageCodec({ secret, replayGuard: guard });
    trailer.writeBigUInt64LE(BigInt(Date.now() - 10 * 60_000), 0);
    // Rewriting the timestamp to make it fresh breaks the signature.
    badSignature([...captured.slice(0, -2), trailer, captured[captured.length - 1]!], fresh);
  });

  it("each run has its own key: run a's key signs nothing that run b accepts", () => {
    const receiver = new MessageCodec({ runId: 'run-b', secret });
    const body = new MessageCodec().encode({ ...message, runId: 'run-b' }, tensors);
    const signWith = (key: Buffer): Uint8Array[] => {
      const trailer = Buffer.alloc(TRAILER_BYTES);
      trailer.writeBigUInt64LE(BigInt(Date.now()), 0);
      trailer.write(key.toString('hex').slice(0, 16), 8);
      return [...body, trailer, signFrames(key, [...body, trailer])];
    };
    badSignature(signWith(deriveRunKey(secret, 'run-a')), receiver);
    // The shared secret itself is not a message key either.
    badSignature(signWith(secret), receiver);
    assert.equal(receiver.decode(signWith(deriveRunKey(secret, 'run-b'))).message.runId, 'run-b');
  });

  it('forgets nonces older than the window and keeps at most its capacity', () => {
    const guard = new ReplayGuard(1000, 4);
    const source = new MessageCodec({ secret });
    const t0 = Date.now();
    const trailers = Array.from({ length: 6 }, () => {
      const frames = source.encode(message, tensors);
      return frames[frames.length - 2]!;
    });
    for (const t of trailers) assert.equal(guard.admit(t, t0), undefined);
    assert.ok(guard.size <= 4);
    assert.match(guard.admit(trailers[5]!, t0) ?? '', /already seen/);
    assert.match(guard.admit(trailers[0]!, t0 + 5000) ?? '', /5 s ago/);
  });
});
