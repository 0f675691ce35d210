import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Fields every awn log line may carry, so lines from many processes can be joined. */
export interface LogContext {
  rank?: number;
  generation?: number;
  step?: number;
}

export interface LoggerOptions extends Omit<LogContext, 'step'> {
  /** Component name: 'coordinator', 'worker', 'metrics-exporter', ... */
  name: string;
  /** Defaults to $AWN_LOG_LEVEL, then 'info'. */
  level?: LogLevel;
  /** Human-readable lines instead of JSON; defaults to whether stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; defaults to stdout. */
  destination?: NodeJS.WritableStream;
  /** Environment to read AWN_LOG_LEVEL from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

const SECRET_FIELDS = ['secret', 'secretKey', 'privateKey', 'key', 'authToken', 'password', 'token'];

/**
 * Paths pino censors. Secrets travel in config and handshake objects one or two levels deep
 * (`{ auth: { secretKey } }`, `{ config: { cluster: { authToken } } }`), so both depths are listed.
 */
export const REDACTED_PATHS: readonly string[] = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);

export function resolveLogLevel(option: LogLevel | undefined, env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = option ?? env['AWN_LOG_LEVEL'] ?? 'info';
  const level = raw.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    const source = option === undefined ? `AWN_LOG_LEVEL='${raw}'` : `log level '${raw}'`;
    throw new Error(`${source} is not a log level (expected one of ${LOG_LEVELS.join(', ')})`);
  }
  return level as LogLevel;
}

/**
 * Creates the logger of one awn process: JSON lines (one object per line, pino's format) with
 * `name`, and `rank` / `generation` when given; secrets censored.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = resolveLogLevel(options.level, options.env);
  const base: Record<string, unknown> = { name: options.name };
  if (options.rank !== undefined) base['rank'] = options.rank;
  if (options.generation !== undefined) base['generation'] = options.generation;
  const config = {
    level,
    base,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  // pino-pretty runs as a synchronous stream in this thread rather than as a transport worker: a
  // terminal user wants lines in order with the process's other output, and no extra thread.
  const destination = usePretty
    ? pretty({ sync: true, colorize: options.destination === undefined, destination: options.destination ?? 1 })
    : options.destination;
  return destination ? pino(config, destination) : pino(config);
}

/** A child logger whose lines carry the given rank, generation and step. */
export function withContext(logger: Logger, context: LogContext): Logger {
  const bindings: Record<string, number> = {};
  for (const key of ['rank', 'generation', 'step'] as const) {
    const value = context[key];
    if (value !== undefined) bindings[key] = value;
  }
  return logger.child(bindings);
}
