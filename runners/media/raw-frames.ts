/**
 * Raw frames over pipes: a reader that cuts a byte stream into whole frames, and a writer that
 * honours backpressure (the encoder sets the pace; nothing piles up in memory).
 */
import type { Readable, Writable } from 'node:stream';
import type { RawLayout } from './codecs.js';

/**
 * Yields each whole frame as its own Buffer (not pooled, so its luma plane can be viewed as
 * Uint16Array). Iterating pauses the source while the consumer works: that is the backpressure on
 * the decoder. A trailing partial frame (a truncated stream) is dropped.
 */
export async function* readFrames(source: Readable, frameBytes: number): AsyncGenerator<Buffer> {
  let frame = Buffer.allocUnsafeSlow(frameBytes);
  let filled = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(frameBytes - filled, chunk.length - offset);
      chunk.copy(frame, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === frameBytes) {
        yield frame;
        frame = Buffer.allocUnsafeSlow(frameBytes);
        filled = 0;
      }
    }
  }
}

/** Writes one frame; resolves at once if the pipe has room, else when it drains. */
export async function writeFrame(sink: Writable, frame: Uint8Array): Promise<void> {
  if (sink.destroyed || sink.writableEnded) throw new Error('encoder input closed');
  if (sink.write(frame)) return;
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      sink.off('error', onError);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('encoder input closed'));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    sink.on('drain', onDrain);
    sink.on('close', onClose);
    sink.on('error', onError);
  });
}

/** The luma plane of a planar frame, as the native kernel wants it (8-bit or 10-bit samples). */
export function lumaView(frame: Buffer, layout: RawLayout): Uint8Array | Uint16Array {
  if (layout.bitDepth === 10) return new Uint16Array(frame.buffer, frame.byteOffset, layout.lumaSamples);
  return new Uint8Array(frame.buffer, frame.byteOffset, layout.lumaSamples);
}
