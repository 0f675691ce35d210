export { Communicator } from './communicator.js';
export type { CommunicatorOptions, CollectiveCallOptions, AllReduceOptions, BroadcastOptions } from './options.js';
export { RingEndpoint, type EndpointOptions } from './endpoint.js';
export { acquireZapHandler, curveServerOptions, type CurveKeys } from './zap-handler.js';
export { CollectiveError, CollectiveTimeoutError, type CollectiveErrorCode } from './errors.js';
export type { CollectiveCounters, DropReason } from './counters.js';
export { ringSegments, ringReferenceSum, type Span } from './ring.js';
export { freePort } from './free-port.js';
