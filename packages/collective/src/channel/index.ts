/**
 * The socket plumbing every awn ZeroMQ user shares: the coordinator's ROUTER
 * (apps/coordinator/src/control/router-channel.ts), the worker's DEALER
 * (apps/worker/src/control/dealer-channel.ts) and the ring's PUSH/PULL (../sender.ts,
 * ../endpoint.ts).
 */
export { SendQueue, type Sendable } from './send-queue.js';
export { receiveLoop, type Receivable } from './receive-loop.js';
export { bindSocket, type Bindable } from './bind.js';
export { serverSecurity, clientSecurity, needsZap, type SocketSecurity } from './security.js';
