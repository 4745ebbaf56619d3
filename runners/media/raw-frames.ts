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

/** One 8-bit gray picture as a binary PGM stream carries it. */
export interface GrayPlane {
  width: number;
  height: number;
  plane: Uint8Array;
}

/** Longest PGM header accepted: magic, sizes, maxval and a comment or two. */
const MAX_PGM_HEADER = 1024;
const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/**
 * Reads a complete binary PGM header (P5, maxval 255) from the start of `bytes`, or returns
 * undefined while it is still incomplete. Throws on anything else.
 */
function pgmHeader(bytes: Uint8Array): { width: number; height: number; length: number } | undefined {
  if (bytes.length >= 1 && bytes[0] !== 0x50) throw new Error('not a PGM (P5) image');
  if (bytes.length >= 2 && bytes[1] !== 0x35) throw new Error('not a PGM (P5) image');
  const fields: number[] = [];
  let o = 2;
  while (fields.length < 3) {
    while (o < bytes.length && isSpace(bytes[o]!)) o += 1;
    if (bytes[o] === 0x23) {
      while (o < bytes.length && bytes[o] !== 0x0a) o += 1;
      if (o >= bytes.length) return undefined;
      continue;
    }
    const start = o;
    while (o < bytes.length && !isSpace(bytes[o]!)) o += 1;
    // A field ends at whitespace; the single whitespace byte after maxval ends the header.
    if (o >= bytes.length) return undefined;
    fields.push(Number(Buffer.from(bytes.subarray(start, o)).toString('latin1')));
  }
  const [width, height, maxval] = fields as [number, number, number];
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || maxval !== 255) {
    throw new Error(`unexpected PGM header ${fields.join(' ')}`);
  }
  return { width, height, length: o + 1 };
}

/**
 * The stream ffmpeg's `-f image2pipe -c:v pgm` output is piped into: each picture's header is read,
 * its samples are copied straight into one plane buffer (reallocated only when the size changes), and
 * the whole picture goes to `onFrame`, which is awaited before the next bytes are taken (backpressure
 * on the decoder, as in frameSink). Memory stays one picture however long the stream. A consumer
 * that keeps the samples must copy them before `onFrame` settles. A stream that ends inside a
 * picture fails ('truncated PGM image'); so do bytes that are not PGM.
 */
export function pgmSink(onFrame: (frame: GrayPlane, index: number) => void | Promise<void>): Writable {
  const header = new Uint8Array(MAX_PGM_HEADER);
  let headerFilled = 0;
  let frame: GrayPlane | undefined;
  let buffer = Buffer.allocUnsafeSlow(0);
  let filled = 0;
  let index = 0;
  const take = (chunk: Buffer, offset: number, callback: (error?: Error | null) => void): void => {
    try {
      while (offset < chunk.length) {
        if (!frame) {
          // Byte by byte until the header is complete: headers are a dozen bytes, samples are not.
          if (headerFilled === MAX_PGM_HEADER) throw new Error(`PGM header longer than ${MAX_PGM_HEADER} bytes`);
          header[headerFilled++] = chunk[offset++]!;
          const parsed = pgmHeader(header.subarray(0, headerFilled));
          if (!parsed) continue;
          headerFilled = 0;
          const size = parsed.width * parsed.height;
          if (buffer.length !== size) buffer = Buffer.allocUnsafeSlow(size);
          frame = { width: parsed.width, height: parsed.height, plane: new Uint8Array(buffer.buffer, buffer.byteOffset, size) };
          filled = 0;
        }
        const n = Math.min(buffer.length - filled, chunk.length - offset);
        chunk.copy(buffer, filled, offset, offset + n);
        filled += n;
        offset += n;
        if (filled < buffer.length) continue;
        const whole = frame;
        frame = undefined;
        const handled = onFrame(whole, index++);
        if (handled instanceof Promise) {
          const rest = offset;
          handled.then(() => take(chunk, rest, callback), callback);
          return;
        }
      }
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback();
  };
  return new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      take(chunk, 0, callback);
    },
    final(callback) {
      callback(frame || headerFilled > 0 ? new Error('truncated PGM image') : null);
    },
  });
}
