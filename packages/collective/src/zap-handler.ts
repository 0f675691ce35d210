/**
 * The process-wide ZAP handler that makes CURVE servers admit only holders of the cluster keypair
 * and PLAIN servers only holders of the run's password (shared by the coordinator's control
 * socket and every ring endpoint).
 */
import { createHash } from 'node:crypto';
import { Reply } from 'zeromq';

/** A cluster CURVE keypair (z85): servers use the secret key, clients present the pair. */
export interface CurveKeys {
  readonly publicKey: string;
  readonly secretKey: string;
}

// ZAP (ZeroMQ RFC 27): libzmq asks the handler bound to inproc://zeromq.zap.01 in the socket's
// context about every CURVE handshake. Without a handler, libzmq 4.3 admits any client that knows
// the server's public key, so a CURVE server here is only bound while the handler runs. The
// server's zapDomain is the cluster public key, and the handler admits a client only when its
// (handshake-proven) public key equals the domain: only holders of the cluster secret key get in.
// The handler is stateless and shared through a global registry, so the coordinator's and the
// collective's copies of this code can serve sockets of the same process.
const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const ZAP_REGISTRY = Symbol.for('awn.zeromq.zap-handler');

interface ZapRegistry {
  users: number;
  socket: Reply | undefined;
  ready: Promise<void> | undefined;
}

function z85(data: Buffer): string {
  let out = '';
  for (let i = 0; i + 4 <= data.length; i += 4) {
    let value = data.readUInt32BE(i);
    let chunk = '';
    for (let j = 0; j < 5; j++) {
      chunk = Z85[value % 85]! + chunk;
      value = Math.floor(value / 85);
    }
    out += chunk;
  }
  return out;
}

async function serveZap(socket: Reply): Promise<void> {
  for (;;) {
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch {
      return;
    }
    const [version, requestId, domain, , , mechanism, clientKey, password] = frames;
    const kind = mechanism?.toString();
    const admitted =
      version?.toString() === '1.0' &&
      domain !== undefined &&
      domain.length > 0 &&
      ((kind === 'CURVE' && clientKey?.length === 32 && z85(clientKey) === domain.toString()) ||
        (kind === 'PLAIN' && password !== undefined && domain.toString() === plainDomain(password)));
    try {
      await socket.send([
        '1.0',
        requestId ?? '',
        admitted ? '200' : '400',
        admitted ? 'OK' : 'not a cluster key',
        '',
        '',
      ]);
    } catch {
      return;
    }
  }
}

async function bindZap(socket: Reply): Promise<void> {
  // A handler released a moment ago may still hold the inproc address while libzmq closes it.
  for (let attempt = 0; ; attempt++) {
    try {
      await socket.bind('inproc://zeromq.zap.01');
      return;
    } catch (error) {
      if (attempt >= 40 || (error as { code?: string }).code !== 'EADDRINUSE') throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Starts (or shares) this process's ZAP handler; call the returned function to release it. */
export async function acquireZapHandler(): Promise<() => void> {
  const registry = ((globalThis as Record<symbol, unknown>)[ZAP_REGISTRY] ??= {
    users: 0,
    socket: undefined,
    ready: undefined,
  }) as ZapRegistry;
  registry.users++;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (--registry.users === 0 && registry.socket !== undefined) {
      registry.socket.close();
      registry.socket = undefined;
      registry.ready = undefined;
    }
  };
  if (registry.socket === undefined) {
    const socket = new Reply({ linger: 0 });
    registry.socket = socket;
    registry.ready = bindZap(socket).then(() => void serveZap(socket));
  }
  try {
    await registry.ready;
  } catch (error) {
    release();
    throw new Error(`cannot start the ZAP handler: ${error instanceof Error ? error.message : String(error)}`);
  }
  return release;
}

/**
 * A PLAIN server's ZAP domain: a digest of the one password it admits, so the stateless handler
 * can check a client's password without holding it. (PLAIN sends the password in the clear at
 * connect time: per-run credentials on loopback, where only root can read the traffic.)
 */
function plainDomain(password: Uint8Array | string): string {
  return `plain:${createHash('sha256').update(password).digest('hex')}`;
}

/** Socket options of a PLAIN server that admits only clients presenting `password`. */
export function plainServerOptions(password: string | undefined): { plainServer?: boolean; zapDomain?: string } {
  return password === undefined ? {} : { plainServer: true, zapDomain: plainDomain(password) };
}

/** Socket options of a PLAIN client presenting `password`. */
export function plainClientOptions(password: string | undefined): { plainUsername?: string; plainPassword?: string } {
  return password === undefined ? {} : { plainUsername: 'awn', plainPassword: password };
}

export function curveServerOptions(curve: CurveKeys | undefined): {
  curveServer?: boolean;
  curveSecretKey?: string;
  zapDomain?: string;
} {
  return curve === undefined ? {} : { curveServer: true, curveSecretKey: curve.secretKey, zapDomain: curve.publicKey };
}
