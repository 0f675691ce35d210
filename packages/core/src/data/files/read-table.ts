import { Readable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { DataFileError } from './data-file-error.js';
import { readUtf8Text } from './utf8-stream.js';

/** How a tabular file is read: which column is the label, which are features. */
export interface TableOptions {
  format: 'csv' | 'jsonl';
  /** The label column (CSV header name or JSON key). */
  label: string;
  /** Feature columns in order (default: every column but the label, in file order). */
  features?: readonly string[];
  /** Class names (classification) or one real target (regression). */
  task: 'classification' | 'regression';
  /** CSV field separator (default ','). */
  delimiter?: string;
}

/** Rows of one file: features as float32, labels as strings (classes) or numbers (regression). */
export interface Table {
  file: string;
  features: string[];
  n: number;
  /** `n × features.length`, row-major. */
  x: Float32Array;
  /** Class name per row (classification). */
  classLabels?: string[];
  /** Target per row (regression). */
  targets?: Float32Array;
  /** Source line of each row, for errors found after reading (e.g. an unseen class). */
  lines: Int32Array;
}

/** A float32 array that grows as rows stream in, so a file is never held as text. */
class Growable {
  data = new Float32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  done(): Float32Array {
    return this.data.slice(0, this.length);
  }
}

class Rows {
  readonly x = new Growable();
  readonly targets = new Growable();
  readonly lines = new Growable();
  readonly classLabels: string[] = [];
  n = 0;
  constructor(
    readonly file: string,
    readonly options: TableOptions,
  ) {}

  number(cell: unknown, line: number, column: string): number {
    const v =
      typeof cell === 'string' && cell.trim() !== '' ? Number(cell) : typeof cell === 'number' ? cell : Number.NaN;
    if (!Number.isFinite(v))
      throw new DataFileError(this.file, `${JSON.stringify(cell ?? null)} is not a finite number`, line, column);
    return v;
  }

  add(features: readonly number[], label: unknown, line: number): void {
    for (const v of features) this.x.push(v);
    if (this.options.task === 'regression') this.targets.push(this.number(label, line, `'${this.options.label}'`));
    else {
      if (
        label === undefined ||
        label === null ||
        (typeof label === 'string' && label.trim() === '') ||
        typeof label === 'object'
      ) {
        throw new DataFileError(
          this.file,
          `the label ${JSON.stringify(label ?? null)} is not a class name`,
          line,
          `'${this.options.label}'`,
        );
      }
      this.classLabels.push(String(label).trim());
    }
    this.lines.push(line);
    this.n++;
  }

  table(features: string[]): Table {
    if (this.n === 0) throw new DataFileError(this.file, 'has no data rows');
    return {
      file: this.file,
      features,
      n: this.n,
      x: this.x.done(),
      lines: Int32Array.from(this.lines.done()),
      ...(this.options.task === 'regression' ? { targets: this.targets.done() } : { classLabels: this.classLabels }),
    };
  }
}

/** Picks the feature columns and checks that the label and every named feature exist. */
function chooseColumns(file: string, columns: string[], options: TableOptions, line: number): string[] {
  if (!columns.includes(options.label)) {
    throw new DataFileError(
      file,
      `no label column '${options.label}' (columns: ${columns.join(', ')}); set data.label`,
      line,
    );
  }
  const features = options.features ? [...options.features] : columns.filter((c) => c !== options.label);
  for (const f of features) {
    if (!columns.includes(f))
      throw new DataFileError(file, `no feature column '${f}' (columns: ${columns.join(', ')})`, line);
    if (f === options.label) throw new DataFileError(file, `column '${f}' is both the label and a feature`, line);
  }
  if (features.length === 0) throw new DataFileError(file, 'has no feature columns besides the label', line);
  return features;
}

async function readCsv(file: string, options: TableOptions): Promise<Table> {
  const source = Readable.from(readUtf8Text(file));
  const parser = source.pipe(
    parse({
      delimiter: options.delimiter ?? ',',
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }),
  );
  // pipe() does not forward errors: a read or UTF-8 error of the source must end the parse with it.
  source.on('error', (error) => parser.destroy(error));
  const rows = new Rows(file, options);
  let header: string[] | undefined;
  let featureIndex: number[] = [];
  let labelIndex = -1;
  let features: string[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines;
      if (!header) {
        header = record;
        const dup = header.find((c, i) => header!.indexOf(c) !== i);
        if (dup !== undefined) throw new DataFileError(file, `the header names column '${dup}' twice`, line);
        features = chooseColumns(file, header, options, line);
        featureIndex = features.map((f) => header!.indexOf(f));
        labelIndex = header.indexOf(options.label);
        continue;
      }
      if (record.length !== header.length) {
        throw new DataFileError(
          file,
          `has ${record.length} fields, the header has ${header.length} (ragged row)`,
          line,
        );
      }
      rows.add(
        featureIndex.map((c) => rows.number(record[c], line, `'${header![c]}' (field ${c + 1})`)),
        record[labelIndex],
        line,
      );
    }
  } catch (error) {
    source.destroy();
    parser.destroy();
    if (error instanceof CsvError)
      throw new DataFileError(
        file,
        `is not valid CSV: ${error.message}`,
        (error as CsvError & { lines?: number }).lines,
      );
    throw error;
  }
  if (!header) throw new DataFileError(file, 'is empty: expected a header line naming the columns');
  return rows.table(features);
}

async function readJsonl(file: string, options: TableOptions): Promise<Table> {
  const rows = new Rows(file, options);
  let features: string[] | undefined;
  let line = 0;
  let rest = '';
  const handle = (text: string) => {
    line++;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new DataFileError(file, `is not valid JSON (${(error as Error).message})`, line);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new DataFileError(file, 'must be a JSON object of column: value', line);
    const record = value as Record<string, unknown>;
    features ??= chooseColumns(file, Object.keys(record), options, line);
    if (!(options.label in record)) throw new DataFileError(file, `has no label key '${options.label}'`, line);
    rows.add(
      features.map((f) => {
        if (!(f in record)) throw new DataFileError(file, 'is missing this feature', line, `'${f}'`);
        if (typeof record[f] !== 'number')
          throw new DataFileError(file, `${JSON.stringify(record[f])} is not a number`, line, `'${f}'`);
        return rows.number(record[f], line, `'${f}'`);
      }),
      record[options.label],
      line,
    );
  };
  for await (const piece of readUtf8Text(file)) {
    const parts = (rest + piece).split('\n');
    rest = parts.pop()!;
    for (const p of parts) handle(p);
  }
  if (rest !== '') handle(rest);
  if (line === 0 || !features) throw new DataFileError(file, 'is empty: expected one JSON object per line');
  return rows.table(features);
}

/**
 * Reads a CSV (header line first) or JSON Lines file as a table, streaming: the file passes
 * through in 1 MiB pieces and rows land in float32 arrays. Every bad cell, ragged row, missing
 * column or invalid UTF-8 sequence is a {@link DataFileError} naming file, line and column.
 */
export function readTable(file: string, options: TableOptions): Promise<Table> {
  return options.format === 'csv' ? readCsv(file, options) : readJsonl(file, options);
}
