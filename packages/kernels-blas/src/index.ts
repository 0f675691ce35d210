export { registerBlasKernels, unregisterBlasKernels, blasStatus, cpuPoolStats, clearCpuPool } from './register.js';
export type { BlasRegistration, BlasStatus, RegisterOptions } from './register.js';
export { sgemm, blasAvailable } from './direct.js';
export { matMulLayout } from './layout.js';
export type { MatMulLayout } from './layout.js';
export { hostKernels } from './host-kernels.js';
export type { HostKernels } from './host-kernels.js';
