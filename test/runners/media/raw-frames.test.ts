import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { frameSink, pgmSink, type GrayPlane } from '../../../runners/media/raw-frames.js';

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

/** A binary PGM picture whose samples count up from `first`. */
function pgm(width: number, height: number, first: number, header = `P5\n${width} ${height}\n255\n`): Buffer {
  return Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(Array.from({ length: width * height }, (_, i) => (first + i) % 256))]);
}

async function readPgm(stream: Buffer, chunkSize: number): Promise<{ pictures: { width: number; height: number; samples: number[] }[]; planes: Uint8Array[] }> {
  const pictures: { width: number; height: number; samples: number[] }[] = [];
  const planes: Uint8Array[] = [];
  const sink = pgmSink((f: GrayPlane) => {
    planes.push(f.plane);
    pictures.push({ width: f.width, height: f.height, samples: [...f.plane] });
  });
  for (let o = 0; o < stream.length; o += chunkSize) sink.write(stream.subarray(o, o + chunkSize));
  sink.end();
  await finished(sink);
  return { pictures, planes };
}

describe('the stream ffmpeg pipes PGM pictures into', () => {
  const stream = Buffer.concat([pgm(3, 2, 0), pgm(3, 2, 100, 'P5 3\n# a comment ffmpeg may write\n2 255\n'), pgm(2, 2, 200)]);
  const expected = [
    { width: 3, height: 2, samples: [0, 1, 2, 3, 4, 5] },
    { width: 3, height: 2, samples: [100, 101, 102, 103, 104, 105] },
    { width: 2, height: 2, samples: [200, 201, 202, 203] },
  ];

  it('reads each picture whole however the bytes are cut, headers with comments and size changes included', async () => {
    for (let chunkSize = 1; chunkSize <= stream.length; chunkSize += 1) {
      expect((await readPgm(stream, chunkSize)).pictures).toEqual(expected);
    }
  });

  it('hands pictures of one size in one reused buffer, so memory does not grow with the stream', async () => {
    const { planes } = await readPgm(stream, 5);
    expect(planes[1]!.buffer).toBe(planes[0]!.buffer);
  });

  it('waits for an asynchronous consumer before it takes the next picture', async () => {
    const order: string[] = [];
    const sink = pgmSink(async (_f, index) => {
      order.push(`start ${index}`);
      await new Promise((r) => setTimeout(r, 5));
      order.push(`end ${index}`);
    });
    sink.end(stream);
    await finished(sink);
    expect(order).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('fails a stream that ends inside a picture', async () => {
    const sink = pgmSink(() => undefined);
    sink.end(stream.subarray(0, stream.length - 1));
    await expect(finished(sink)).rejects.toThrow('truncated PGM image');
  });

  it('fails bytes that are not an 8-bit PGM', async () => {
    const notPgm = pgmSink(() => undefined);
    notPgm.end(Buffer.from('P6\n3 2\n255\n'));
    await expect(finished(notPgm)).rejects.toThrow('not a PGM (P5) image');
    const sixteenBit = pgmSink(() => undefined);
    sixteenBit.end(Buffer.from('P5\n3 2\n65535\n'));
    await expect(finished(sixteenBit)).rejects.toThrow('unexpected PGM header 3 2 65535');
  });
});
