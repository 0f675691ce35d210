import { readFileSync, statSync } from 'node:fs';
import { capability } from 'zeromq';
import { UsageError } from '../errors.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/;
const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

/** A cluster CURVE keypair in z85 (40 characters each). */
export interface CurveKeys {
  readonly publicKey: string;
  readonly secretKey: string;
}

/** What protects a process's sockets: CURVE, HMAC signing, both, or nothing (loopback only). */
export interface Security {
  readonly secret?: Buffer;
  readonly curve?: CurveKeys;
  /** For the start-up log line; never holds key material. */
  readonly protection: 'curve+hmac' | 'curve' | 'hmac' | 'none (loopback only)';
}

/**
 * The cluster's shared secret from AWN_CLUSTER_SECRET (every control and collective message is
 * then signed with HMAC-SHA256). Binding anything but loopback without it is refused unless
 * `curve` is on: an unauthenticated training port on a network accepts anyone's gradients.
 */
export function readSecret(host: string, curve = false): Buffer | undefined {
  const value = process.env.AWN_CLUSTER_SECRET;
  if (value === undefined || value === '') {
    if (!curve && !LOOPBACK.test(host)) {
      throw new UsageError(
        `refusing to bind ${host} without authentication: set AWN_CLUSTER_SECRET (at least 32 characters) or CURVE keys (--curve-keys FILE, or AWN_CURVE_PUBLIC_KEY and AWN_CURVE_SECRET_KEY) on the coordinator and every worker`,
      );
    }
    return undefined;
  }
  if (value.length < 32) throw new UsageError('AWN_CLUSTER_SECRET must be at least 32 characters');
  return Buffer.from(value, 'utf8');
}

function checkKeys(publicKey: unknown, secretKey: unknown, source: string): CurveKeys {
  if (typeof publicKey !== 'string' || !Z85_KEY.test(publicKey))
    throw new UsageError(
      `${source}: the CURVE public key must be 40 z85 characters (make a keypair with \`awn keygen --out FILE\`)`,
    );
  if (typeof secretKey !== 'string' || !Z85_KEY.test(secretKey))
    throw new UsageError(
      `${source}: the CURVE secret key must be 40 z85 characters (make a keypair with \`awn keygen --out FILE\`)`,
    );
  return { publicKey, secretKey };
}

/**
 * The cluster CURVE keypair from `file` (JSON `{ "publicKey", "secretKey" }`, as `awn keygen`
 * writes it; it must not be readable by group or others) or from AWN_CURVE_PUBLIC_KEY and
 * AWN_CURVE_SECRET_KEY; undefined when neither is configured. Configured keys on a zeromq build
 * without CURVE are a usage error, never a silent downgrade.
 */
export function readCurveKeys(file: string | undefined): CurveKeys | undefined {
  let keys: CurveKeys | undefined;
  if (file !== undefined) {
    let text: string;
    try {
      const mode = statSync(file).mode;
      if (process.platform !== 'win32' && (mode & 0o077) !== 0)
        throw new UsageError(
          `--curve-keys ${file}: the key file must not be readable by group or others (chmod 600 ${file})`,
        );
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(
        `--curve-keys ${file}: cannot read the key file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
    let parsed: { publicKey?: unknown; secretKey?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new UsageError(`--curve-keys ${file}: not a JSON key file (make one with \`awn keygen --out FILE\`)`);
    }
    keys = checkKeys(parsed?.publicKey, parsed?.secretKey, `--curve-keys ${file}`);
  } else {
    const publicKey = process.env.AWN_CURVE_PUBLIC_KEY || undefined;
    const secretKey = process.env.AWN_CURVE_SECRET_KEY || undefined;
    if (publicKey === undefined && secretKey === undefined) return undefined;
    if (publicKey === undefined || secretKey === undefined)
      throw new UsageError('set both AWN_CURVE_PUBLIC_KEY and AWN_CURVE_SECRET_KEY (or neither)');
    keys = checkKeys(publicKey, secretKey, 'AWN_CURVE_PUBLIC_KEY/AWN_CURVE_SECRET_KEY');
  }
  if (!capability.curve)
    throw new UsageError(
      'CURVE keys are configured but this zeromq build has no CURVE support (capability.curve is false): unset them and use AWN_CLUSTER_SECRET instead',
    );
  return keys;
}

/** The protection of a process binding `host`: CURVE keys and/or the shared secret. */
export function readSecurity(host: string, curveKeysFile: string | undefined): Security {
  const curve = readCurveKeys(curveKeysFile);
  const secret = readSecret(host, curve !== undefined);
  const protection = curve && secret ? 'curve+hmac' : curve ? 'curve' : secret ? 'hmac' : 'none (loopback only)';
  return { secret, curve, protection };
}
