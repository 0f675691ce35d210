/** Byte-level text: tokenizer, the Moby-Dick corpus, sharded training windows, evaluation chunks. */
export { BYTE_VOCABULARY_SIZE, encodeBytes, decodeBytes } from './byte-tokenizer.js';
export { loadMobyDick, type MobyDickCorpus, type MobyDickOptions } from './moby-dick.js';
export { TextWindows, type TextWindowsOptions, type TextBatch } from './text-windows.js';
export { TextBatchSource, textChunks } from './text-batches.js';
export { unigramEntropyBits } from './unigram.js';
export { textSplit, isTextSplit, type TextSplit } from './text-split.js';
