export { Communicator } from './communicator.js';
export type { CommunicatorOptions, CollectiveCallOptions, AllReduceOptions, BroadcastOptions } from './options.js';
export { RingEndpoint, type EndpointOptions } from './endpoint.js';
export {
  acquireZapHandler,
  curveServerOptions,
  plainServerOptions,
  plainClientOptions,
  type CurveKeys,
} from './zap-handler.js';
export { CollectiveError, CollectiveTimeoutError, type CollectiveErrorCode } from './errors.js';
export type { CollectiveCounters, DropReason } from './counters.js';
export { ringSegments, ringReferenceSum, type Span } from './ring.js';
export { freePort } from './free-port.js';
export {
  SendQueue,
  receiveLoop,
  bindSocket,
  serverSecurity,
  clientSecurity,
  needsZap,
  type Sendable,
  type Receivable,
  type Bindable,
  type SocketSecurity,
} from './channel/index.js';
