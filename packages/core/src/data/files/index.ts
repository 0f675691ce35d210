/** A user's own data: CSV / JSON Lines tables and UTF-8 text files, streamed and validated. */
export { DataFileError } from './data-file-error.js';
export { readTable, type Table, type TableOptions } from './read-table.js';
export { loadTabularSplits, sortClassNames, type Preprocessing, type TabularSourceOptions } from './tabular-source.js';
export { loadTextSplits, readTextBytes, resolveTextFiles, type TextSourceOptions } from './text-source.js';
export { readUtf8Chunks, validUtf8Prefix } from './utf8-stream.js';
