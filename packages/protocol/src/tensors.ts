export type DType = 'float32' | 'float64' | 'int32' | 'uint32' | 'int16' | 'uint16' | 'int8' | 'uint8';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const CONSTRUCTORS: Readonly<Record<DType, TypedArrayConstructor>> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
};

export const DTYPES: readonly DType[] = Object.freeze(Object.keys(CONSTRUCTORS) as DType[]);

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(CONSTRUCTORS, value);
}

export function bytesPerElement(dtype: DType): number {
  return CONSTRUCTORS[dtype].BYTES_PER_ELEMENT;
}

export function dtypeOf(array: TypedArray): DType {
  // Buffer is a Uint8Array subclass, hence instanceof rather than constructor identity.
  for (const dtype of DTYPES) if (array instanceof CONSTRUCTORS[dtype]) return dtype;
  throw new TypeError('unsupported typed array');
}

/** What the header says about one tensor; its bytes follow as `frames` raw frames. */
export interface TensorDescriptor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly frames: number;
}

/** A tensor to send. `shape` defaults to [data.length]. */
export interface TensorInput {
  readonly name?: string;
  readonly data: TypedArray;
  readonly shape?: readonly number[];
}

/** A received tensor: its descriptor and the raw frames that hold its bytes, in order. */
export interface ReceivedTensor {
  readonly descriptor: TensorDescriptor;
  readonly byteLength: number;
  readonly frames: readonly Uint8Array[];
}

export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/**
 * The tensor as a typed array. A single frame at an aligned offset is viewed without copying,
 * so the result aliases the received frame; anything else is assembled into a fresh array.
 */
export function tensorToArray(tensor: ReceivedTensor): TypedArray {
  const { dtype } = tensor.descriptor;
  const ctor = CONSTRUCTORS[dtype];
  const length = tensor.byteLength / ctor.BYTES_PER_ELEMENT;
  const only = tensor.frames.length === 1 ? tensor.frames[0] : undefined;
  if (only !== undefined && only.byteOffset % ctor.BYTES_PER_ELEMENT === 0) {
    return new ctor(only.buffer, only.byteOffset, length);
  }
  const out = new ctor(length);
  copyTensorBytes(tensor, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
  return out;
}

/** Copies the tensor's bytes into `target` (which must be exactly byteLength long). */
export function copyTensorBytes(tensor: ReceivedTensor, target: Uint8Array): void {
  if (target.byteLength !== tensor.byteLength) {
    throw new RangeError(`target holds ${target.byteLength} bytes, tensor has ${tensor.byteLength}`);
  }
  let offset = 0;
  for (const frame of tensor.frames) {
    target.set(frame, offset);
    offset += frame.byteLength;
  }
}

/** Splits `bytes` into views of at most `frameBytes` each (no copies; empty input: no frames). */
export function splitFrames(bytes: Uint8Array, frameBytes: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += frameBytes) {
    const length = Math.min(frameBytes, bytes.byteLength - offset);
    frames.push(Buffer.from(bytes.buffer, bytes.byteOffset + offset, length));
  }
  return frames;
}

export function asBytes(array: TypedArray): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}
