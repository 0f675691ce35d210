import { ProtocolError } from './errors.js';
import { FieldReader } from './fields.js';
import type { Limits } from './limits.js';
import { BODIES, CHECKS, ENVELOPE, type BodyOf, type MessageType } from './message-schemas.js';
import type { Message } from './messages.js';
import { isMessageType } from './messages.js';
import { readShape } from './schema.js';
import { bytesPerElement, DTYPES, type TensorDescriptor } from './tensors.js';

/** Which payload tensors a type may carry: the chunk types exactly one 1-D tensor of a fixed dtype. */
function checkTensorsAllowed(message: Message, tensors: readonly TensorDescriptor[]): void {
  const single = (dtype: string, length: number): void => {
    const t = tensors[0];
    if (tensors.length !== 1 || t === undefined || t.dtype !== dtype || t.shape.length !== 1 || t.shape[0] !== length) {
      throw new ProtocolError(
        'malformed',
        `${message.type} must carry exactly one ${dtype} tensor of shape [${length}]`,
      );
    }
  };
  switch (message.type) {
    case 'allreduce-chunk':
      single('float32', message.length);
      return;
    case 'broadcast-chunk': {
      const size = message.buffer < 0 ? 0 : (message.layout[message.buffer] ?? 0);
      const t = tensors[0];
      if (tensors.length !== 1 || t === undefined || t.dtype !== 'uint8' || t.shape.length !== 1) {
        throw new ProtocolError('malformed', 'broadcast-chunk must carry exactly one 1-D uint8 tensor');
      }
      if (message.offset + (t.shape[0] ?? 0) > size) {
        throw new ProtocolError('malformed', 'broadcast-chunk overruns its buffer');
      }
      return;
    }
    case 'state':
      return;
    default:
      if (tensors.length !== 0) throw new ProtocolError('malformed', `${message.type} carries no tensors`);
  }
}

export function parseTensorDescriptors(r: FieldReader, limits: Limits): TensorDescriptor[] {
  return r.records('tensors').map((t, i) => {
    if (i >= limits.maxTensors) throw new ProtocolError('oversize', `more than ${limits.maxTensors} tensors`);
    const dtype = t.oneOf('dtype', DTYPES);
    const shape = t.intArray('shape', 0, Number.MAX_SAFE_INTEGER);
    if (shape.length > 8) throw new ProtocolError('malformed', `tensor ${i} has rank ${shape.length} > 8`);
    let bytes = bytesPerElement(dtype);
    for (const dim of shape) {
      bytes *= dim;
      if (bytes > limits.maxMessageBytes)
        throw new ProtocolError('oversize', `tensor ${i} exceeds ${limits.maxMessageBytes} bytes`);
    }
    return { name: t.str('name'), dtype, shape, frames: t.int('frames', 0, limits.maxFrames) };
  });
}

export interface ParsedHeader {
  readonly message: Message;
  readonly tensors: readonly TensorDescriptor[];
}

/**
 * Validates a decoded header whose version and run id were already checked. Everything is copied
 * field by field into a fresh object by the message's schema (message-schemas.ts), so unknown
 * fields are dropped and types are exact.
 */
export function parseHeader(raw: Record<string, unknown>, limits: Limits): ParsedHeader {
  const type = raw['type'];
  if (!isMessageType(type)) {
    throw new ProtocolError(
      'unknown-type',
      `unknown message type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 40)) : typeof type}`,
    );
  }
  const r = new FieldReader(raw, type, limits);
  const envelope = readShape(r, ENVELOPE);
  const body = readShape(r, BODIES[type]);
  (CHECKS[type] as ((b: BodyOf<MessageType>, where: string) => void) | undefined)?.(body, type);
  const message = { ...envelope, type, ...body } as Message;
  const tensors = parseTensorDescriptors(r, limits);
  checkTensorsAllowed(message, tensors);
  return { message, tensors };
}
