import { stratifiedSplit } from '../split.js';
import { applyStandardizer, fitStandardizer, type Standardizer } from '../standardize.js';
import { validateDataset, type Dataset } from '../dataset.js';
import { DataFileError } from './data-file-error.js';
import { readTable, type Table, type TableOptions } from './read-table.js';

/**
 * What a tabular run learned from its training file and must apply unchanged to every other
 * split and at evaluation: feature order, class names and the standardisation statistics.
 * `awn train` saves it as preprocessing.json in the run directory.
 */
export interface Preprocessing {
  features: string[];
  /** Class names in output order (classification). */
  classes?: string[];
  /** Per-feature mean and std fitted on the training split (with `standardize`). */
  standardizer?: Standardizer;
}

/** A user's tabular data: files, label, split and scaling. */
export interface TabularSourceOptions extends TableOptions {
  /** Short name used for the splits (e.g. `iris` → `iris/train`). */
  name: string;
  /** Training file (split into train/validation/test when the other files are not given). */
  path: string;
  validationPath?: string;
  testPath?: string;
  /** Share of the training file held out for test when `testPath` is absent. */
  testFraction: number;
  /** Share of the rest held out for validation when `validationPath` is absent (0: none). */
  validationFraction: number;
  seed: number;
  standardize: boolean;
  /** Reuse these (saved by the training run) instead of fitting them again. */
  preprocessing?: Preprocessing;
}

/** Class names in a stable order: numerically when every name is a number, else by code point. */
export function sortClassNames(names: Iterable<string>): string[] {
  const unique = [...new Set(names)];
  const numeric = unique.every((s) => s.trim() !== '' && Number.isFinite(Number(s)));
  return numeric ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort();
}

function toDataset(table: Table, name: string, classes: string[] | undefined): Dataset {
  const base = { name, n: table.n, inputDim: table.features.length, x: table.x };
  if (!classes) return validateDataset({ ...base, task: 'regression', outputDim: 1, y: table.targets! });
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = new Int32Array(table.n);
  table.classLabels!.forEach((label, i) => {
    const c = index.get(label);
    if (c === undefined)
      throw new DataFileError(
        table.file,
        `class '${label}' does not occur in the training data (classes: ${classes.join(', ')})`,
        table.lines[i],
      );
    y[i] = c;
  });
  return validateDataset({ ...base, task: 'classification', numClasses: classes.length, outputDim: classes.length, y });
}

/**
 * Reads a user's CSV or JSON Lines files into train, validation and test data sets. Without
 * separate files, the training file is split with the paper's seeded, stratified split. Class
 * names and (optionally) standardisation statistics come from the training split only.
 */
export async function loadTabularSplits(
  o: TabularSourceOptions,
): Promise<{ train: Dataset; validation: Dataset | undefined; test: Dataset; preprocessing: Preprocessing }> {
  const trainTable = await readTable(o.path, { ...o, features: o.features ?? o.preprocessing?.features });
  const features = trainTable.features;
  const same = { ...o, features };
  const [validationTable, testTable] = await Promise.all([
    o.validationPath ? readTable(o.validationPath, same) : undefined,
    o.testPath ? readTable(o.testPath, same) : undefined,
  ]);
  const classes =
    o.task === 'classification' ? (o.preprocessing?.classes ?? sortClassNames(trainTable.classLabels!)) : undefined;
  if (classes && classes.length < 2 && !o.preprocessing)
    throw new DataFileError(
      o.path,
      `has a single class ('${classes[0]}') in label column '${o.label}': classification needs at least two`,
    );
  const all = toDataset(trainTable, `${o.name}/train`, classes);
  let train = all;
  let validation = validationTable && toDataset(validationTable, `${o.name}/validation`, classes);
  let test = testTable && toDataset(testTable, `${o.name}/test`, classes);
  if (!test || !validation) {
    const split = stratifiedSplit(all, {
      testFraction: test ? 0 : o.testFraction,
      validationFraction: validation ? 0 : o.validationFraction,
      seed: o.seed,
    });
    train = { ...split.train, name: `${o.name}/train` };
    test ??= { ...split.test, name: `${o.name}/test` };
    if (!validation && split.validation.n > 0) validation = { ...split.validation, name: `${o.name}/validation` };
  }
  if (train.n === 0)
    throw new DataFileError(o.path, `leaves no training rows after holding out test and validation (${all.n} rows)`);
  if (test.n === 0)
    throw new DataFileError(
      o.path,
      `has too few rows (${all.n}) to hold out a test split; add rows or give data.testPath`,
    );
  let standardizer = o.preprocessing?.standardizer;
  if (o.standardize) {
    standardizer ??= fitStandardizer(train);
    train = applyStandardizer(train, standardizer);
    test = applyStandardizer(test, standardizer);
    if (validation) validation = applyStandardizer(validation, standardizer);
  }
  return {
    train,
    validation,
    test,
    preprocessing: {
      features,
      ...(classes ? { classes } : {}),
      ...(o.standardize && standardizer ? { standardizer } : {}),
    },
  };
}
