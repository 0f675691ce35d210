/**
 * Registers the gradients of every tfjs-core op. tfjs-core's Node build ships without them (its
 * `register_all_gradients` module is ESM-only inside a CommonJS package), so
 * vendor/tfjs-gradients.mjs bundles that module (see packages/core/scripts/bundle-gradients.mjs).
 * tfjs-core keeps the engine and the gradient registry on globalThis, so the registrations serve
 * the one tfjs-core every backend registers with; importing tfjs-core first makes its engine the
 * one the bundle finds.
 */
import '@tensorflow/tfjs-core';
import '../../vendor/tfjs-gradients.mjs';
