/** The adaptive-width Transformer language model, registered as model kind 'transformer'. */
import { registerModelKind } from '../registry.js';
import { TransformerLm } from './transformer-lm.js';
import type { TransformerConfig } from './config.js';

registerModelKind('transformer', (config) => new TransformerLm(config as unknown as TransformerConfig));

export { TransformerLm } from './transformer-lm.js';
export { TransformerBlock } from './block.js';
export {
  resolveTransformerConfig,
  BYTE_VOCABULARY,
  type TransformerConfig,
  type ResolvedTransformerConfig,
} from './config.js';
export { generate, sampleToken, type GenerateOptions } from './generate.js';
