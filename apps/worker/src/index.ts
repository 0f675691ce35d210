export { runWorker, type WorkerOptions, type WorkerOutcome } from './worker.js';
export { ringReducer } from './reducer.js';
