import { Packr, Unpackr } from 'msgpackr';
import { ProtocolError } from './errors.js';
import { isPlainRecord } from './fields.js';

// Records off: every header is self-describing and decoding keeps no state between messages, so
// a hostile message cannot define record structures that change how the next one decodes.
const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Packs a header or control message into its own buffer (never a view of msgpackr's scratch). */
export function packHeader(header: Record<string, unknown>): Buffer {
  return Buffer.from(packr.pack(header));
}

/** Unpacks one header frame; anything but exactly one plain map is 'malformed'. */
export function unpackHeader(frame: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    // A Buffer view over the same memory: msgpackr caches a DataView on its input, so give it a
    // private object rather than the caller's frame.
    value = unpackr.unpack(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
  } catch (error) {
    const reason = error instanceof Error ? error.message.slice(0, 120) : 'undecodable';
    throw new ProtocolError('malformed', `header is not valid msgpack (${reason})`);
  }
  if (!isPlainRecord(value)) throw new ProtocolError('malformed', 'header is not a msgpack map');
  return value;
}
