/** A byte view of any typed array or DataView, sharing its memory. */
export function asBytesView(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array && view.constructor === Uint8Array
    ? view
    : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

export function copyInto(target: Uint8Array, offset: number, frames: readonly Uint8Array[]): void {
  let at = offset;
  for (const frame of frames) {
    target.set(frame, at);
    at += frame.byteLength;
  }
}
