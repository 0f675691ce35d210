import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNK_HEADER_MAGIC } from './chunk-header.js';
import { packHeader } from './codec.js';
import { ProtocolError } from './errors.js';
import { MessageCodec } from './framing.js';
import type { AllReduceChunkMessage } from './messages.js';
import { RUN_ID, SAMPLES } from './testing/fixtures.js';

const sample = SAMPLES['allreduce-chunk'];

function encoded(
  message: AllReduceChunkMessage = sample.message,
  data = sample.tensors[0]!.data,
  codec = new MessageCodec({ runId: RUN_ID }),
): Buffer[] {
  return codec.encode(message, [{ data }]).map((f) => Buffer.from(f));
}

function rejects(
  frames: Uint8Array[],
  code: ProtocolError['code'],
  pattern: RegExp,
  codec = new MessageCodec({ runId: RUN_ID }),
): void {
  assert.throws(
    () => codec.decode(frames),
    (error: unknown) => error instanceof ProtocolError && error.code === code && pattern.test(error.message),
  );
}

describe('binary all-reduce chunk header', () => {
  it('is what an all-reduce chunk travels with, and decodes to the same message as msgpack would', () => {
    const frames = encoded();
    assert.equal(frames[0]![0], CHUNK_HEADER_MAGIC);
    // The same message with a msgpack header (as an older sender framed it) decodes identically.
    const viaMsgpack = [
      packHeader({ ...sample.message, tensors: [{ name: '', dtype: 'float32', shape: [4], frames: 1 }] }),
      frames[1]!,
    ];
    const codec = new MessageCodec({ runId: RUN_ID });
    const a = codec.decode(frames);
    const b = codec.decode(viaMsgpack);
    assert.deepEqual(a.message, b.message);
    assert.deepEqual(
      a.tensors.map((t) => t.descriptor),
      b.tensors.map((t) => t.descriptor),
    );
    assert.deepEqual(Buffer.from(a.tensors[0]!.frames[0]!), Buffer.from(sample.tensors[0]!.data.buffer));
  });

  it('keeps null weights apart from an empty list, and all-gather chunks apart from reduce-scatter ones', () => {
    const codec = new MessageCodec({ runId: RUN_ID });
    for (const weights of [null, [], [3, 0, 1e-300]]) {
      for (const phase of ['reduce-scatter', 'all-gather'] as const) {
        const message = { ...sample.message, phase, weights };
        assert.deepEqual(codec.decode(encoded(message)).message, message);
      }
    }
    const empty = { ...sample.message, offset: 300, length: 0 };
    const decoded = codec.decode(encoded(empty, new Float32Array(0)));
    assert.deepEqual(decoded.message, empty);
    assert.equal(decoded.tensors[0]!.byteLength, 0);
  });

  it('checks version and run id first, like a msgpack header', () => {
    const frames = encoded();
    const older = Buffer.from(frames[0]!);
    older[1] = 0;
    rejects([older, frames[1]!], 'version-mismatch', /protocol version 0/);
    rejects(frames, 'run-id-mismatch', /expected "another-run"/, new MessageCodec({ runId: 'another-run' }));
  });

  it('refuses headers that a sender could not have produced', () => {
    const frames = encoded();
    const patch = (edit: (h: Buffer) => void): Buffer[] => {
      const head = Buffer.from(frames[0]!);
      edit(head);
      return [head, frames[1]!];
    };
    rejects([frames[0]!.subarray(0, 40), frames[1]!], 'malformed', /shorter than 88/);
    rejects(
      patch((h) => (h[2] = 7)),
      'malformed',
      /unknown phase code 7/,
    );
    rejects(
      patch((h) => (h[3] = 2)),
      'malformed',
      /unknown flags/,
    );
    rejects(
      patch((h) => h.writeDoubleLE(299, 64)),
      'malformed',
      /length: expected an integer in \[0, 1\]/,
    );
    rejects(
      patch((h) => h.writeDoubleLE(0.5, 48)),
      'malformed',
      /opSeq/,
    );
    rejects(
      patch((h) => h.writeDoubleLE(Number.NaN, 88)),
      'malformed',
      /weights/,
    );
    rejects(
      patch((h) => h.writeUInt32LE(5, 24)),
      'malformed',
      /does not hold 5 weights/,
    );
    // A header that announces more payload frames than the message has.
    rejects(
      patch((h) => h.writeUInt32LE(2, 20)),
      'malformed',
      /2 payload frames, message has 1/,
    );
    // The payload must be exactly length floats.
    rejects([frames[0]!, frames[1]!.subarray(0, 12)], 'malformed', /needs 16 bytes/);
  });

  it('is covered by the HMAC like every other frame', () => {
    const codec = new MessageCodec({ runId: RUN_ID, secret: 'ring key' });
    const frames = encoded(sample.message, sample.tensors[0]!.data, codec);
    assert.deepEqual(codec.decode(frames).message, sample.message);
    const head = Buffer.from(frames[0]!);
    head.writeUInt32LE(0xdeadbeef, 8);
    rejects([head, ...frames.slice(1)], 'bad-signature', /invalid/, codec);
  });

  it('refuses to send a chunk a receiver would refuse', () => {
    const codec = new MessageCodec({ runId: RUN_ID });
    assert.throws(
      () => codec.encode({ ...sample.message, offset: 400 }, sample.tensors),
      /offset: expected an integer in \[0, 300\]/,
    );
    assert.throws(() => codec.encode({ ...sample.message, weights: [-1] }, sample.tensors), /weights/);
  });
});
