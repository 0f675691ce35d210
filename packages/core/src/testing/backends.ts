import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend/select-backend.js';

/** Backends every unit test runs on: both must pass, nothing may need the native one. */
export const TEST_BACKENDS = ['wasm', 'cpu'] as const;

/** Activates a backend for a test. */
export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  await selectBackend(name);
  if (tf.getBackend() !== name) throw new Error(`backend ${name} did not activate`);
}
