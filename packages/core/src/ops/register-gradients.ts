/**
 * Registers the gradients of every tfjs-core op. tfjs-core's Node build ships without them (its
 * `register_all_gradients` module is ESM-only inside a CommonJS package), while the
 * `@tensorflow/tfjs` union package bundles them; importing it for its side effect shares the
 * same tfjs-core engine, so the backends chosen by `selectBackend` are unaffected.
 */
import '@tensorflow/tfjs';
