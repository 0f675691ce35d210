import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOOPBACK_TCP = /^tcp:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):(\d{1,5})$/;
/** sockaddr_un holds 108 bytes, the terminating NUL included. */
const MAX_SOCKET_PATH = 107;

/**
 * The ipc:// (Unix socket) twin of a loopback tcp:// address. A rank reachable at a loopback
 * address is on this host, so its successor can skip TCP: over a Unix socket ZeroMQ moves the same
 * bytes with less kernel work (bench/allreduce.bench.mjs compares both). The path is derived from
 * the tcp address, so the coordinator's ring (a list of tcp addresses) needs no change; it is
 * unique while the endpoint lives because nobody else can hold that tcp port meanwhile, and
 * ZeroMQ removes a stale file of a dead process when it binds. Undefined for anything else.
 */
export function localTwin(address: string): string | undefined {
  const match = LOOPBACK_TCP.exec(address);
  if (match === null) return undefined;
  const host = match[1]!.replace(/[[\]:]/g, '_');
  const path = join(tmpdir(), `awn-ring-${host}-${match[2]}.sock`);
  return path.length <= MAX_SOCKET_PATH ? `ipc://${path}` : undefined;
}

/**
 * The address a rank dials to reach `peer`: its ipc twin when the peer bound one (the socket file
 * exists), else the address as given. Checked at dial time: a peer binds before its address is
 * handed out, so a missing file means it has no twin (e.g. it runs with `ipcTwin: false`).
 */
export function dialAddress(peer: string, preferIpc: boolean): string {
  const twin = preferIpc ? localTwin(peer) : undefined;
  if (twin === undefined) return peer;
  try {
    return statSync(twin.slice('ipc://'.length)).isSocket() ? twin : peer;
  } catch {
    return peer;
  }
}
