import { UsageError } from '../errors.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[?::1\]?)$/;

/**
 * The cluster's shared secret from AWN_CLUSTER_SECRET (every control and collective message is
 * then signed with HMAC-SHA256). Binding anything but loopback without one is refused: an
 * unauthenticated training port on a network accepts anyone's gradients.
 */
export function readSecret(host: string): Buffer | undefined {
  const value = process.env.AWN_CLUSTER_SECRET;
  if (value === undefined || value === '') {
    if (!LOOPBACK.test(host)) throw new UsageError(`refusing to bind ${host} without authentication: set AWN_CLUSTER_SECRET (at least 32 characters) on the coordinator and every worker`);
    return undefined;
  }
  if (value.length < 32) throw new UsageError('AWN_CLUSTER_SECRET must be at least 32 characters');
  return Buffer.from(value, 'utf8');
}
