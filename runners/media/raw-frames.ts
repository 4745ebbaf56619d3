/**
 * Raw frames over pipes: a sink that cuts a decoder's byte stream into whole frames, and a writer
 * that waits until a frame has been taken (the encoder sets the pace; nothing piles up in memory).
 */
import { Writable } from 'node:stream';
import type { RawLayout } from './codecs.js';

/**
 * The stream a decoder's stdout is piped into: each chunk is copied straight into the frame being
 * filled, and every whole frame goes to `onFrame`, which is awaited before the next chunk is taken
 * (that is the backpressure on the decoder). Every frame comes in the same buffer, refilled once
 * `onFrame` has settled: a consumer that keeps or forwards the bytes must be done with them by
 * then (the embed pipeline settles only when every encoder has taken the frame). A trailing partial frame (a truncated stream) is
 * dropped. The stream finishes once the last frame's `onFrame` has settled; a rejection fails it.
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

/**
 * Writes one frame (or part of one) and resolves once the stream has handed every byte on, so the
 * buffer may be refilled. Rejects if the stream is closed or the write fails (EPIPE: the reader died).
 */
export function writeFrame(sink: Writable, frame: Uint8Array): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (sink.destroyed || sink.writableEnded) return reject(new Error('encoder input closed'));
    sink.write(frame, (error) => (error ? reject(error) : resolve()));
  });
}

/** The luma plane of a planar frame, as the native kernel wants it (8-bit or 10-bit samples). */
export function lumaView(frame: Buffer, layout: RawLayout): Uint8Array | Uint16Array {
  if (layout.bitDepth === 10) return new Uint16Array(frame.buffer, frame.byteOffset, layout.lumaSamples);
  return new Uint8Array(frame.buffer, frame.byteOffset, layout.lumaSamples);
}
