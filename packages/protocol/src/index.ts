export { ProtocolError, isProtocolError, type ProtocolErrorCode } from './errors.js';
export { PROTOCOL_VERSION, MAX_FRAME_BYTES, DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.js';
export * from './messages.js';
export { withEnvelope, type EnvelopeContext } from './envelope.js';
export {
  DTYPES,
  isDType,
  bytesPerElement,
  dtypeOf,
  elementCount,
  tensorToArray,
  copyTensorBytes,
  type DType,
  type TypedArray,
  type TensorDescriptor,
  type TensorInput,
  type ReceivedTensor,
} from './tensors.js';
export { MessageCodec, encodeMessage, decodeMessage, type CodecOptions, type DecodedMessage } from './framing.js';
export {
  signFrames,
  verifyFrames,
  deriveRunKey,
  deriveRingPassword,
  ReplayGuard,
  REPLAY_WINDOW_MS,
  SIGNATURE_BYTES,
  TRAILER_BYTES,
  TrailerSource,
  type Secret,
} from './auth.js';
export { canonicalJson, configHash, widthHash } from './hash.js';
export {
  StepClock,
  STALL_MEDIAN_FACTOR,
  STALL_WARMUP_FLOORS,
  DEFAULT_STALL_FLOOR_MS,
  stateTransferMs,
} from './progress.js';
export type { ClusterSettings } from './cluster-settings.js';
export { DropLog } from './drop-log.js';
