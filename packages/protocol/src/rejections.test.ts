import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packHeader } from './codec.js';
import { ProtocolError, type ProtocolErrorCode } from './errors.js';
import { MessageCodec } from './framing.js';
import { ENVELOPE, RUN_ID, SAMPLES } from './testing/fixtures.js';

const codec = new MessageCodec({ runId: RUN_ID });

function rejects(frames: readonly Uint8Array[], code: ProtocolErrorCode, receiver = codec): ProtocolError {
  let caught: unknown;
  try {
    receiver.decode(frames);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ProtocolError, `expected a ProtocolError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

function header(fields: Record<string, unknown>): Buffer {
  return packHeader({ ...SAMPLES.heartbeat.message, tensors: [], ...fields });
}

describe('decoder rejections', () => {
  it('version-mismatch', () => {
    rejects([header({ version: 2 })], 'version-mismatch');
    rejects([header({ version: undefined })], 'version-mismatch');
  });

  it('run-id-mismatch', () => {
    const error = rejects([header({ runId: 'other-run' })], 'run-id-mismatch');
    assert.match(error.message, /other-run/);
    // Without an expected run id any run is accepted.
    assert.equal(new MessageCodec().decode([header({ runId: 'other-run' })]).message.runId, 'other-run');
  });

  it('unknown-type', () => {
    rejects([header({ type: 'launch-missiles' })], 'unknown-type');
    rejects([header({ type: 7 })], 'unknown-type');
  });

  it('malformed: not msgpack, not a map, trailing bytes, wrong field types', () => {
    rejects([Buffer.from([0xc1])], 'malformed');
    rejects([Buffer.alloc(0)], 'malformed');
    rejects([packHeader([1, 2, 3] as unknown as Record<string, unknown>)], 'malformed');
    rejects([Buffer.concat([header({}), Buffer.from([0])])], 'malformed');
    rejects([header({ sentAt: 'now' })], 'malformed');
    rejects([header({ generation: -1 })], 'malformed');
    rejects([header({ step: 1.5 })], 'malformed');
    rejects([header({ sentAt: undefined })], 'malformed');
    rejects([header({ tensors: 'none' })], 'malformed');
    rejects([], 'malformed');
    rejects(['text' as unknown as Uint8Array], 'malformed');
  });

  it('malformed: field-level checks name the field', () => {
    const welcome = SAMPLES.welcome.message;
    const error = rejects([packHeader({ ...welcome, peers: welcome.peers.slice(1), tensors: [] })], 'malformed');
    assert.match(error.message, /peers/);
    rejects([packHeader({ ...welcome, rank: 3, tensors: [] })], 'malformed');
    rejects([packHeader({ ...welcome, config: { when: new Date(0) }, tensors: [] })], 'malformed');
    rejects([packHeader({ ...SAMPLES['step-done'].message, widthHash: 2 ** 32, tensors: [] })], 'malformed');
    rejects([packHeader({ ...SAMPLES['step-done'].message, timings: { computeMs: -1 }, tensors: [] })], 'malformed');
    const chunk = SAMPLES['broadcast-chunk'].message;
    assert.match(
      rejects([packHeader({ ...chunk, buffer: chunk.layout.length, tensors: [] })], 'malformed').message,
      /buffer/,
    );
  });

  it('malformed: tensor shape disagrees with byte length', () => {
    const { message, tensors } = SAMPLES['allreduce-chunk'];
    const frames = codec.encode(message, tensors);
    rejects([frames[0]!, frames[1]!.subarray(0, 12)], 'malformed');
    rejects([frames[0]!], 'malformed');
    rejects([frames[0]!, frames[1]!, Buffer.alloc(4)], 'malformed');
    const lying = packHeader({ ...message, tensors: [{ name: '', dtype: 'float32', shape: [5], frames: 1 }] });
    rejects([lying, frames[1]!], 'malformed');
    const wrongDtype = packHeader({ ...message, tensors: [{ name: '', dtype: 'float64', shape: [4], frames: 1 }] });
    rejects([wrongDtype, Buffer.alloc(32)], 'malformed');
    const badDtype = packHeader({
      ...SAMPLES.state.message,
      tensors: [{ name: '', dtype: 'complex64', shape: [1], frames: 1 }],
    });
    rejects([badDtype, Buffer.alloc(8)], 'malformed');
    rejects(
      [
        packHeader({ ...SAMPLES.heartbeat.message, tensors: [{ name: '', dtype: 'uint8', shape: [1], frames: 1 }] }),
        Buffer.alloc(1),
      ],
      'malformed',
    );
  });

  it('oversize: frame, header, message, frame count, tensor', () => {
    const tight = new MessageCodec({
      runId: RUN_ID,
      limits: { maxFrameBytes: 8, maxHeaderBytes: 4096, maxMessageBytes: 4200, maxFrames: 4 },
    });
    const { message, tensors } = SAMPLES['allreduce-chunk'];
    const frames = codec.encode(message, tensors);
    rejects(frames, 'oversize', tight);
    rejects([Buffer.alloc(5000)], 'oversize', tight);
    rejects([header({}), Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(8)], 'oversize', tight);
    const huge = packHeader({
      ...SAMPLES.state.message,
      tensors: [{ name: '', dtype: 'float64', shape: [2 ** 20, 2 ** 20], frames: 1 }],
    });
    rejects([huge, Buffer.alloc(8)], 'oversize');
    rejects([huge, Buffer.alloc(8)], 'oversize', tight);
  });

  it('bad-signature when signing expectations differ', () => {
    const signed = new MessageCodec({ runId: RUN_ID, secret: 's3cret' });
    const { message } = SAMPLES.heartbeat;
    rejects(codec.encode(message), 'bad-signature', signed);
    rejects(signed.encode(message), 'bad-signature', codec);
  });

  it('checks the envelope in a fixed order: version before run id before type', () => {
    rejects([packHeader({ ...ENVELOPE, version: 9, runId: 'x', type: '??' })], 'version-mismatch');
    rejects([packHeader({ ...ENVELOPE, runId: 'x', type: '??' })], 'run-id-mismatch');
  });
});
