/**
 * A problem in a user's data file, located as precisely as the reader can: file, 1-based line
 * and, where it applies, the column (a CSV field or JSON key, named and numbered).
 */
export class DataFileError extends Error {
  constructor(
    /** The file (or path pattern) the problem is in. */
    readonly file: string,
    /** What is wrong, without the location. */
    readonly problem: string,
    /** 1-based line, when the problem is on one line. */
    readonly line?: number,
    /** The column: a header name, a JSON key or a 1-based field number. */
    readonly column?: string,
  ) {
    const where = [
      file,
      line !== undefined ? `line ${line}` : undefined,
      column !== undefined ? `column ${column}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    super(`${where}: ${problem}`);
    this.name = 'DataFileError';
  }
}

/**
 * Turns a failure to open a data file into a message saying what to check. Every process of a
 * run reads the files itself, so on a cluster the path must exist on every machine.
 */
export function describeOpenError(file: string, error: NodeJS.ErrnoException): DataFileError {
  if (error.code === 'ENOENT')
    return new DataFileError(
      file,
      'no such file on this machine; every worker reads the data itself, so the path must exist (same path, e.g. a shared filesystem) on every machine of the run',
    );
  if (error.code === 'EACCES') return new DataFileError(file, 'permission denied');
  if (error.code === 'EISDIR') return new DataFileError(file, 'is a directory, expected a file');
  return new DataFileError(file, error.message);
}
