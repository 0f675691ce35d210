import type { DecodedMessage, Message, MessageCodec, MessageOf, MessageType, TensorInput } from '@awn/protocol';
import { PROTOCOL_VERSION } from '@awn/protocol';
import { CollectiveError } from './errors.js';
import type { Inbox, OpClock } from './inbox.js';
import type { LinkSender } from './link.js';

type Body<T extends MessageType> = Omit<MessageOf<T>, 'version' | 'runId' | 'generation' | 'sender' | 'type'>;

/** What one collective call needs: identity, the two ring links, and its clock. */
export class RingContext {
  constructor(
    readonly rank: number,
    readonly worldSize: number,
    readonly generation: number,
    readonly runId: string,
    readonly opName: string,
    readonly opSeq: number,
    readonly step: number,
    readonly clock: OpClock,
    private readonly codec: MessageCodec,
    private readonly sender: LinkSender,
    private readonly inbox: Inbox,
    /** Takes back a message's pooled frames once the collective is done with it (streams). */
    private readonly recycle?: (decoded: DecodedMessage) => void,
  ) {}

  private last: DecodedMessage | undefined;

  /**
   * Hands the message expect() returned last back to its pool. Collectives consume a message
   * completely (sum, copy, forward from their own memory) before they ask for the next one.
   */
  releaseLast(): void {
    if (this.last !== undefined) this.recycle?.(this.last);
    this.last = undefined;
  }

  get predecessor(): number {
    return (this.rank - 1 + this.worldSize) % this.worldSize;
  }

  get successor(): number {
    return (this.rank + 1) % this.worldSize;
  }

  send<T extends MessageType>(type: T, body: Body<T>, tensors: readonly TensorInput[] = []): void {
    const message = {
      version: PROTOCOL_VERSION,
      runId: this.runId,
      generation: this.generation,
      sender: this.rank,
      type,
      ...body,
    } as unknown as Message;
    this.sender.enqueue(this.codec.encode(message, tensors));
  }

  /**
   * Heartbeats to the successor every `intervalMs` while nothing else is being sent: they tell it
   * this rank is inside the collective, so a timeout further down the ring is blamed on whoever is
   * really missing. Returns the function that stops them.
   */
  startKeepalive(intervalMs: number): () => void {
    const timer = setInterval(() => {
      if (this.sender.idle) this.send('heartbeat', { step: this.step, sentAt: Date.now() });
    }, intervalMs);
    return () => clearInterval(timer);
  }

  /**
   * The next message from the predecessor, which must be of `type` and agree on every field of
   * `expected`; the first disagreement is a mismatch naming both ranks.
   */
  async expect<T extends MessageType>(
    type: T,
    expected: Partial<MessageOf<T>>,
  ): Promise<DecodedMessage & { message: MessageOf<T> }> {
    this.releaseLast();
    const decoded = await this.inbox.take(this.clock);
    this.last = decoded;
    const got = decoded.message;
    const pred = this.predecessor;
    const context = `${this.opName} #${this.opSeq}`;
    if (got.type !== type) {
      throw new CollectiveError(
        'mismatch',
        `${context}: rank ${this.rank} expected ${type} from rank ${pred}, which sent ${got.type}${describeOp(got)}`,
        [pred, this.rank],
      );
    }
    const fields: [string, unknown][] = [['step', this.step], ['opSeq', this.opSeq], ...Object.entries(expected)];
    for (const [field, want] of fields) {
      const have = (got as unknown as Record<string, unknown>)[field];
      if (have !== want) {
        throw new CollectiveError(
          'mismatch',
          `${context}: ranks ${pred} and ${this.rank} disagree on ${field}: rank ${this.rank} has ${String(want)}, rank ${pred} sent ${String(have)}`,
          [pred, this.rank],
        );
      }
    }
    return decoded as DecodedMessage & { message: MessageOf<T> };
  }
}

function describeOp(message: Message): string {
  return 'opSeq' in message ? ` (opSeq ${message.opSeq}, step ${message.step})` : '';
}
