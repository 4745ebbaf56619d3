/**
 * Raw frames from a decoder's stdout, cut into whole frames for code that reads them in JavaScript
 * (the detector). The embed pipeline moves its frames natively instead (native/src/relay.h).
 */
import { Writable } from 'node:stream';

/**
 * The stream a decoder's stdout is piped into: each chunk is copied straight into the frame being
 * filled, and every whole frame goes to `onFrame`, which is awaited before the next chunk is taken
 * (that is the backpressure on the decoder). Every frame comes in the same buffer, refilled once
 * `onFrame` has settled: a consumer that keeps the bytes must copy them by then. A trailing
 * partial frame (a truncated stream) is dropped. The stream finishes once the last frame's `onFrame` has settled; a rejection fails it.
 *
 * Why not an async iterator over a PassThrough: its read() concatenates everything buffered into
 * one new Buffer on every step, which cost more CPU than the watermark itself.
 *
 * autoDestroy is off: fluent-ffmpeg treats a 'close' of the piped stream as a failure unless
 * ffmpeg's exit event arrives within 20 ms, and under load a stream that closes itself once
 * finished beats that exit, failing a run that succeeded.
 */
export function frameSink(frameBytes: number, onFrame: (frame: Buffer, index: number) => void | Promise<void>): Writable {
  if (!Number.isInteger(frameBytes) || frameBytes <= 0) throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
  // Not pooled (allocUnsafeSlow): a 10-bit consumer views the frame as Uint16Array, which needs
  // an even byte offset.
  const frame = Buffer.allocUnsafeSlow(frameBytes);
  let filled = 0;
  let index = 0;
  /** Copies from `offset` on until the chunk is used up or a frame is full; returns where it stopped. */
  const fill = (chunk: Buffer, offset: number): number => {
    const n = Math.min(frameBytes - filled, chunk.length - offset);
    chunk.copy(frame, filled, offset, offset + n);
    filled += n;
    return offset + n;
  };
  const take = (chunk: Buffer, offset: number, callback: (error?: Error | null) => void): void => {
    // Synchronous until a whole frame is handed on: most chunks only fill part of a frame.
    while (offset < chunk.length) {
      offset = fill(chunk, offset);
      if (filled < frameBytes) continue;
      filled = 0;
      let handled: void | Promise<void>;
      try {
        handled = onFrame(frame, index++);
      } catch (error) {
        callback(error as Error);
        return;
      }
      if (handled instanceof Promise) {
        const rest = offset;
        handled.then(() => take(chunk, rest, callback), callback);
        return;
      }
    }
    callback();
  };
  return new Writable({
    highWaterMark: frameBytes,
    autoDestroy: false,
    write(chunk: Buffer, _encoding, callback) {
      take(chunk, 0, callback);
    },
  });
}
