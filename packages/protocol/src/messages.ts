import type { Infer } from './schema.js';
import {
  type ASSIGNMENT,
  BODIES,
  type ENVELOPE,
  type LOSS_TERMS,
  type STEP_TIMINGS,
  type BodyOf,
  type MessageType,
} from './message-schemas.js';

/**
 * The message types, derived from their schemas in message-schemas.ts (the one source of every
 * message's shape; validate.ts checks received headers against the same schemas).
 */

export type { JsonValue } from './json.js';
export type { MessageType } from './message-schemas.js';

/** Version, run id, generation, step and sender: carried by every message. */
export type Envelope = Infer<typeof ENVELOPE>;
export type StepTimings = Infer<typeof STEP_TIMINGS>;
export type LossTerms = Infer<typeof LOSS_TERMS>;
export type AssignmentFields = Infer<typeof ASSIGNMENT>;

type Messages = { [T in MessageType]: Envelope & { readonly type: T } & BodyOf<T> };

/** Any message. */
export type Message = Messages[MessageType];

/** The complete message of type `T`: envelope, tag and body. */
export type MessageOf<T extends MessageType> = Extract<Message, { readonly type: T }>;

/** A message without its envelope: what callers fill in before `withEnvelope`. */
export type MessageBody<T extends MessageType> = { readonly type: T } & BodyOf<T>;

export type JoinMessage = MessageOf<'join'>;
export type WelcomeMessage = MessageOf<'welcome'>;
export type AssignmentMessage = MessageOf<'assignment'>;
export type HeartbeatMessage = MessageOf<'heartbeat'>;
export type StepDoneMessage = MessageOf<'step-done'>;
export type AllReduceChunkMessage = MessageOf<'allreduce-chunk'>;
export type BroadcastChunkMessage = MessageOf<'broadcast-chunk'>;
export type RingTokenMessage = MessageOf<'ring-token'>;
export type StateMessage = MessageOf<'state'>;
export type StopMessage = MessageOf<'stop'>;
export type EvictMessage = MessageOf<'evict'>;
export type ShutdownMessage = MessageOf<'shutdown'>;
export type ErrorMessage = MessageOf<'error'>;
export type AllReducePhase = AllReduceChunkMessage['phase'];
export type TokenPurpose = RingTokenMessage['purpose'];

/** Every message type, in the schemas' order. */
export const MESSAGE_TYPES: readonly MessageType[] = Object.freeze(Object.keys(BODIES) as MessageType[]);

export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && Object.hasOwn(BODIES, value);
}
