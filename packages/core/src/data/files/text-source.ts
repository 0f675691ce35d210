import { stat } from 'node:fs/promises';
import { glob, isDynamicPattern } from 'tinyglobby';
import { textSplit, type TextSplit } from '../text/text-split.js';
import { DataFileError, describeOpenError } from './data-file-error.js';
import { readUtf8Chunks } from './utf8-stream.js';

/** Between two files of a corpus, so a window spanning both sees a paragraph break. */
const FILE_SEPARATOR = new Uint8Array([0x0a, 0x0a]);

/**
 * The files a text path names, sorted: a file; every (non-hidden) file under a directory; or the
 * matches of a glob such as `docs/*.md`. No match is an error naming the path.
 */
export async function resolveTextFiles(path: string): Promise<string[]> {
  if (isDynamicPattern(path)) {
    const files = (await glob(path, { onlyFiles: true, absolute: true, expandDirectories: false })).sort();
    if (files.length === 0)
      throw new DataFileError(
        path,
        'the pattern matches no file on this machine; every worker reads the data itself, so the files must exist on every machine of the run',
      );
    return files;
  }
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw describeOpenError(path, error as NodeJS.ErrnoException);
  }
  if (!info.isDirectory()) return [path];
  const files = (await glob('**/*', { cwd: path, onlyFiles: true, absolute: true })).sort();
  if (files.length === 0) throw new DataFileError(path, 'is a directory with no files');
  return files;
}

/**
 * The bytes of every file a path names, in order, each validated as UTF-8 while it streams in
 * (1 MiB at a time; never decoded into one string). The model reads bytes, so they are kept as is.
 */
export async function readTextBytes(path: string): Promise<Uint8Array> {
  const files = await resolveTextFiles(path);
  const parts: Uint8Array[] = [];
  for (const [i, file] of files.entries()) {
    if (i > 0) parts.push(FILE_SEPARATOR);
    for await (const chunk of readUtf8Chunks(file)) parts.push(chunk.slice());
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (total === 0) throw new DataFileError(path, 'is empty: a text corpus needs at least a few bytes');
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A user's text corpus and how to split it. */
export interface TextSourceOptions {
  name: string;
  /** A file, a directory or a glob. */
  path: string;
  validationPath?: string;
  testPath?: string;
  /** Share of the bytes (the end of the corpus) held out for test when `testPath` is absent. */
  testFraction: number;
  /** Share of the rest (its end) held out for validation when `validationPath` is absent. */
  validationFraction: number;
  sequenceLength: number;
}

/**
 * Train, validation and test text. Without separate paths the corpus is cut into contiguous
 * parts (test last, validation before it), so held-out text is never interleaved with training
 * text, as with the novel's last chapters.
 */
export async function loadTextSplits(
  o: TextSourceOptions,
): Promise<{ train: TextSplit; validation: TextSplit | undefined; test: TextSplit }> {
  const corpus = await readTextBytes(o.path);
  const testBytes = o.testPath ? await readTextBytes(o.testPath) : undefined;
  const validationBytes = o.validationPath ? await readTextBytes(o.validationPath) : undefined;
  const nTest = testBytes ? 0 : Math.round(corpus.length * o.testFraction);
  const rest = corpus.length - nTest;
  const nValidation = validationBytes ? 0 : Math.round(rest * o.validationFraction);
  const trainEnd = rest - nValidation;
  if (trainEnd < o.sequenceLength + 1) {
    throw new DataFileError(
      o.path,
      `has ${corpus.length} bytes, which leaves ${trainEnd} for training: need more than one window (${o.sequenceLength + 1} bytes)`,
    );
  }
  const piece = (label: string, bytes: Uint8Array) => {
    if (bytes.length < 2)
      throw new DataFileError(
        o.path,
        `leaves ${bytes.length} bytes for the ${label} split; give more text or data.${label}Path`,
      );
    return textSplit(`${o.name}/${label}`, bytes, o.sequenceLength);
  };
  return {
    train: textSplit(`${o.name}/train`, corpus.subarray(0, trainEnd), o.sequenceLength),
    validation: validationBytes
      ? piece('validation', validationBytes)
      : nValidation > 0
        ? piece('validation', corpus.subarray(trainEnd, rest))
        : undefined,
    test: piece('test', testBytes ?? corpus.subarray(rest)),
  };
}
