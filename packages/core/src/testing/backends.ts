import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend/select-backend.js';

/** Backends every unit test runs on: both must pass, nothing may need the native one. */
export const TEST_BACKENDS = ['wasm', 'cpu'] as const;

/** Backend for the heavier training tests: AWN_TEST_BACKEND, default wasm. */
export function trainingBackend(): 'wasm' | 'cpu' {
  const b = process.env.AWN_TEST_BACKEND ?? 'wasm';
  if (b !== 'wasm' && b !== 'cpu') throw new RangeError(`AWN_TEST_BACKEND must be wasm or cpu, got ${b}`);
  return b;
}

/** Activates a backend for a test. */
export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  await selectBackend(name);
  if (tf.getBackend() !== name) throw new Error(`backend ${name} did not activate`);
}
