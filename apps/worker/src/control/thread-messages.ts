import type { CurveKeys } from '@awn/collective';
import type { DecodedMessage, EnvelopeContext, Message, Secret } from '@awn/protocol';

/** What the control thread is started with (its workerData). */
export interface ControlThreadInit {
  readonly address: string;
  readonly workerId: string;
  readonly secret?: Secret;
  readonly curve?: CurveKeys;
}

/** Main thread → control thread. */
export type ToControl =
  | {
      readonly kind: 'send';
      readonly message: Message;
      readonly tensors: readonly { name: string; data: Uint8Array }[];
    }
  | { readonly kind: 'pin'; readonly runId: string }
  /** Start heartbeating (after the welcome): every `intervalMs`, and count the coordinator lost after `misses` silent intervals. */
  | { readonly kind: 'heartbeat'; readonly intervalMs: number; readonly misses: number }
  /** The envelope heartbeats carry from now on. */
  | { readonly kind: 'context'; readonly context: EnvelopeContext }
  /** The coordinator is about to take in a training state: its silence until `forMs` from now is no sign of loss. */
  | { readonly kind: 'expect-quiet'; readonly forMs: number }
  | { readonly kind: 'close'; readonly discard: boolean };

/** Control thread → main thread. */
export type FromControl =
  | { readonly kind: 'message'; readonly decoded: DecodedMessage }
  | { readonly kind: 'drop'; readonly code: string; readonly message: string }
  | { readonly kind: 'coordinator-lost'; readonly silentMs: number }
  | { readonly kind: 'closed' };
