/** Model-agnostic, checksummed, atomically written training checkpoints (format: FORMAT.md). */
export { CheckpointError } from './errors.js';
export type { CheckpointProblem } from './errors.js';
export { encodeCheckpoint } from './encode.js';
export type { CheckpointTensorSource, WritableCheckpoint } from './encode.js';
export {
  decodeCheckpoint,
  CHECKPOINT_MAGIC,
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_ALIGNMENT,
  CHECKSUM_BYTES,
} from './format.js';
export type { CheckpointContents, CheckpointTensor } from './format.js';
export { saveCheckpoint, saveEncodedCheckpoint, loadCheckpoint, verifyCheckpoint } from './file.js';
export {
  CHECKPOINT_EXTENSION,
  checkpointFileName,
  parseCheckpointFileName,
  listCheckpoints,
  latestValidCheckpoint,
  pruneCheckpoints,
  removeOrphanedTemporaries,
} from './directory.js';
export type { CheckpointFile, SkippedCheckpoint, LatestCheckpointResult } from './directory.js';
