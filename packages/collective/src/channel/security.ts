import { curveServerOptions, plainClientOptions, plainServerOptions, type CurveKeys } from '../zap-handler.js';

/**
 * How a socket proves who may talk to it (docs/architecture.md, "Protocol"): the cluster CURVE
 * keypair (encrypted, only key holders admitted), or a per-run PLAIN password checked by the ZAP
 * handler (the default on loopback), or nothing.
 */
export interface SocketSecurity {
  readonly curve?: CurveKeys;
  readonly plainPassword?: string;
}

/** Options of a bound socket (a server of the mechanism), to spread into the socket's options. */
export function serverSecurity(security: SocketSecurity): Record<string, unknown> {
  return security.curve !== undefined ? curveServerOptions(security.curve) : plainServerOptions(security.plainPassword);
}

/** Options of a connecting socket (a client of the server's mechanism). */
export function clientSecurity(security: SocketSecurity): Record<string, unknown> {
  const curve = security.curve;
  return curve !== undefined
    ? { curveServerKey: curve.publicKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey }
    : plainClientOptions(security.plainPassword);
}

/** Whether binding needs the process's ZAP handler (it authenticates both mechanisms). */
export function needsZap(security: SocketSecurity): boolean {
  return security.curve !== undefined || security.plainPassword !== undefined;
}
