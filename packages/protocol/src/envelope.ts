import { PROTOCOL_VERSION } from './limits.js';
import type { Envelope, MessageBody, MessageOf, MessageType } from './messages.js';

export interface EnvelopeContext {
  readonly runId: string;
  readonly generation: number;
  readonly step: number;
  readonly sender: number;
}

/** Builds a complete message from its body; the protocol version is always the current one. */
export function withEnvelope<T extends MessageType>(
  context: EnvelopeContext,
  type: T,
  body: Omit<MessageBody<T>, 'type'>,
): MessageOf<T> {
  const envelope: Envelope = {
    version: PROTOCOL_VERSION,
    runId: context.runId,
    generation: context.generation,
    step: context.step,
    sender: context.sender,
  };
  return { ...envelope, ...body, type } as unknown as MessageOf<T>;
}
