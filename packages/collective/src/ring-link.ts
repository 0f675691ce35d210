import type { DecodedMessage, MessageCodec } from '@awn/protocol';
import type { DropReason } from './counters.js';
import type { LinkSender } from './link.js';
import { dialAddress, localTwin } from './local-twin.js';
import type { CommunicatorOptions } from './options.js';
import { RingSender } from './sender.js';
import { StreamReceiver } from './stream-receiver.js';
import { StreamSender } from './stream-sender.js';

/** sockaddr_un holds 108 bytes, the terminating NUL included. */
const MAX_SOCKET_PATH = 107;

/**
 * The Unix stream path of the link from the rank at `from` to the rank at `to`, or undefined when
 * the link goes over ZeroMQ. Streams are for ranks on one host (both advertised at loopback tcp
 * addresses) without CURVE. Both ends decide from the addresses and options alone, never from
 * what exists yet, so they always pick the same transport however their start-ups interleave
 * (the reading end retries until the sending end listens). The path derives from the sender's
 * address and the generation: unique while the sender holds its tcp port. AWN_RING_STREAMS=0 (set
 * alike for every rank) keeps ZeroMQ, e.g. to compare (bench/scaling.bench.mjs --transports).
 */
export function streamPath(
  from: string,
  to: string,
  generation: number,
  options: Pick<CommunicatorOptions, 'preferIpc' | 'curve'>,
): string | undefined {
  if (options.preferIpc === false || options.curve !== undefined || process.env['AWN_RING_STREAMS'] === '0')
    return undefined;
  const twin = localTwin(from);
  if (twin === undefined || localTwin(to) === undefined) return undefined;
  const path = `${twin.slice('ipc://'.length)}.g${generation}`;
  return path.length <= MAX_SOCKET_PATH ? path : undefined;
}

export interface RingLink {
  readonly sender: LinkSender;
  /** The stream from the predecessor, when that link is a stream (ZeroMQ's arrive at the endpoint). */
  readonly receiver: StreamReceiver | undefined;
}

/**
 * Opens both links of a rank: to its successor (a StreamSender, or a PUSH socket) and from its
 * predecessor (a StreamReceiver that feeds `deliver`, or nothing: the endpoint's PULL socket).
 *
 * Why streams: zeromq.js hands every received message over as an external buffer whose size V8
 * counts towards its next garbage collection, so each rank collects once per ~64 MiB received; in
 * a worker whose heap holds a model that costs more than the transfer itself. A stream is read
 * into one reused buffer and pooled frames, and moves the bytes with fewer threads involved.
 */
export function openRingLink(
  options: CommunicatorOptions,
  codec: MessageCodec,
  deliver: (decoded: DecodedMessage) => Promise<void> | undefined,
  drop: (reason: DropReason) => void,
): RingLink {
  const { rank, worldSize, generation, runId, peers } = options;
  const successor = (rank + 1) % worldSize;
  const predecessor = (rank - 1 + worldSize) % worldSize;
  const out = streamPath(peers[rank]!, peers[successor]!, generation, options);
  const sender =
    out === undefined
      ? new RingSender(dialAddress(peers[successor]!, options.preferIpc ?? true), options.lingerMs ?? 1000, {
          curve: options.curve,
          plainPassword: options.plainPassword,
        })
      : new StreamSender(out, { runId, generation, rank: successor }, options.lingerMs ?? 1000);
  const inbound = streamPath(peers[predecessor]!, peers[rank]!, generation, options);
  const receiver =
    inbound === undefined
      ? undefined
      : new StreamReceiver({
          path: inbound,
          hello: { runId, generation, rank },
          codec,
          // The sender checked this stream's generation at the hello; a message of another one is forged.
          deliver: (decoded) => {
            if (decoded.message.generation === generation) return deliver(decoded);
            drop('stale-generation');
            return undefined;
          },
          drop,
        });
  return { sender, receiver };
}
