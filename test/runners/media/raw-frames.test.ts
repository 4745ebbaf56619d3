import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { frameSink } from '../../../runners/media/raw-frames.js';

/** Bytes 0,1,2,… (mod 251) cut into chunks of the given sizes. */
function chunks(sizes: number[]): Buffer[] {
  let next = 0;
  return sizes.map((n) => Buffer.from(Array.from({ length: n }, () => next++ % 251)));
}

describe('the stream a decoder pipes raw frames into', () => {
  it('cuts chunks of any size into whole frames, in order, and drops a trailing partial frame', async () => {
    const seen: number[][] = [];
    const sink = frameSink(6, (frame, index) => {
      expect(index).toBe(seen.length);
      seen.push([...frame]);
    });
    for (const c of chunks([1, 4, 9, 2, 3, 1])) sink.write(c);
    sink.end();
    await finished(sink);
    expect(seen).toEqual([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11], [12, 13, 14, 15, 16, 17]]);
  });

  it('hands every frame in the same buffer, refilled once the previous frame was handled', async () => {
    const reused: Buffer[] = [];
    const copies: number[][] = [];
    const same = frameSink(4, (frame) => {
      reused.push(frame);
      copies.push([...frame]);
    });
    same.end(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    await finished(same);
    expect(reused[0]).toBe(reused[1]);
    expect(copies).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
  });

  it('takes no more bytes while a frame is being handled (backpressure on the decoder)', async () => {
    let release!: () => void;
    const handled: number[] = [];
    const sink = frameSink(2, async (_frame, index) => {
      handled.push(index);
      if (index === 0) await new Promise<void>((resolve) => (release = resolve));
    });
    sink.write(Buffer.from([1, 2, 3, 4]));
    await new Promise((r) => setTimeout(r, 20));
    expect(handled).toEqual([0]);
    release();
    sink.end();
    await finished(sink);
    expect(handled).toEqual([0, 1]);
  });

  it('fails the stream when handling a frame fails', async () => {
    const sink = frameSink(2, () => {
      throw new Error('embedder broke');
    });
    sink.end(Buffer.from([1, 2]));
    await expect(finished(sink)).rejects.toThrow('embedder broke');
  });

  it('does not close by itself once finished, which fluent-ffmpeg would take for a failed run', async () => {
    const sink = frameSink(4, () => undefined);
    let closed = false;
    sink.on('close', () => (closed = true));
    sink.end(Buffer.alloc(8, 7));
    await finished(sink);
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    sink.destroy();
    await once(sink, 'close');
  });
});
