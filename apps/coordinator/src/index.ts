export { Coordinator, type CoordinatorOptions, type StepProgress, type PulledState } from './coordinator.js';
export { runCluster, type ClusterRunOptions } from './run-cluster.js';
export { UsageError, RunFailedError } from './errors.js';
