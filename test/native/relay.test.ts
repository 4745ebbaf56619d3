import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeScene } from '../../native/bench/synth.js';
import { createEmbedder, createFrameRelay, type Embedder } from '../../native/index.js';

const KEY = randomBytes(32);
// 4:2:0 frames: luma W*H, then two chroma planes of a quarter each.
const W = 256;
const H = 128;
const LUMA = W * H;
const FRAME = LUMA * 1.5;

const embedder = (payload: number): Embedder => createEmbedder({ key: KEY, width: W, height: H, bitDepth: 8, payload });

/** Frames with natural-looking luma (so the mask is not trivial) and random chroma, all different. */
function makeFrames(count: number): Buffer[] {
  const scene = makeScene(11, W, H, { pan: 0.02 });
  return Array.from({ length: count }, (_, t) => Buffer.concat([Buffer.from(scene.frame(t)), randomBytes(FRAME - LUMA)]));
}

/** Reads a pipe to its end; `slow` pauses after every chunk, so the relay must wait on this reader. */
async function readAll(file: string, slow = false): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(file, { highWaterMark: 16 * 1024 })) {
    chunks.push(chunk as Buffer);
    if (slow) await delay(1);
  }
  return Buffer.concat(chunks);
}

function writeAll(file: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file);
    out.on('error', reject);
    out.end(data, (error?: Error | null) => (error ? reject(error) : resolve()));
  });
}

describe('native frame relay', () => {
  let dir: string;
  let n = 0;
  const freshDir = (): Promise<string> => fs.mkdtemp(path.join(dir, `r${n++}-`));
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'vigil-relay-test-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('hands every frame to each encoder, marking each one\'s luma with its own ID and leaving chroma alone', async () => {
    // More frames than the ring holds (2 + pipe pages / frame pages), and one slow reader, so a
    // ring slot refilled while a pipe still referred to it would show as a wrong frame.
    const frames = makeFrames(40);
    const payloads = [5, null, 7];
    const relay = createFrameRelay({ dir: await freshDir(), frameBytes: FRAME, lumaBytes: LUMA, embedders: payloads.map((p) => (p === null ? null : embedder(p))) });
    const outcome = relay.run();
    const outputs = Promise.all(relay.sinkPaths.map((p, i) => readAll(p, i === 0)));
    await writeAll(relay.sourcePath, Buffer.concat(frames));
    expect(await outcome).toEqual({ frames: 40, trailingBytes: 0 });
    expect(relay.frames).toBe(40);

    const got = await outputs;
    for (const [k, payload] of payloads.entries()) {
      const reference = payload === null ? null : embedder(payload);
      const expected = Buffer.concat(frames.map((f) => {
        const copy = Buffer.from(f);
        reference?.embed(copy.subarray(0, LUMA), W);
        return copy;
      }));
      expect(got[k]!.length).toBe(expected.length);
      expect(got[k]!.equals(expected), `encoder ${k + 1}`).toBe(true);
    }
    // The marks are really there and differ per recipient; chroma went through untouched.
    expect(got[0]!.subarray(0, LUMA).equals(frames[0]!.subarray(0, LUMA))).toBe(false);
    expect(got[0]!.subarray(0, LUMA).equals(got[2]!.subarray(0, LUMA))).toBe(false);
    expect(got[0]!.subarray(LUMA, FRAME).equals(frames[0]!.subarray(LUMA))).toBe(true);
  });

  it('with one encoder, marks its luma and moves the chroma pipe to pipe, frame for frame, past a slow reader', async () => {
    const frames = makeFrames(40);
    const relay = createFrameRelay({ dir: await freshDir(), frameBytes: FRAME, lumaBytes: LUMA, embedders: [embedder(5)] });
    const outcome = relay.run();
    const output = readAll(relay.sinkPaths[0]!, true);
    await writeAll(relay.sourcePath, Buffer.concat(frames));
    expect(await outcome).toEqual({ frames: 40, trailingBytes: 0 });
    const reference = embedder(5);
    const expected = Buffer.concat(frames.map((f) => {
      const copy = Buffer.from(f);
      reference.embed(copy.subarray(0, LUMA), W);
      return copy;
    }));
    const got = await output;
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
    expect(got.subarray(0, LUMA).equals(frames[0]!.subarray(0, LUMA))).toBe(false);
  });

  it('reports a last frame cut off in its chroma, with one encoder', async () => {
    const frames = makeFrames(3);
    const relay = createFrameRelay({ dir: await freshDir(), frameBytes: FRAME, lumaBytes: LUMA, embedders: [null] });
    const outcome = relay.run();
    const output = readAll(relay.sinkPaths[0]!);
    await writeAll(relay.sourcePath, Buffer.concat(frames).subarray(0, FRAME * 2 + LUMA + 1000));
    expect(await outcome).toEqual({ frames: 2, trailingBytes: LUMA + 1000 });
    // The cut-off frame's luma and chroma went out before the end showed; the encoder drops a partial frame.
    expect((await output).subarray(0, FRAME * 2).equals(Buffer.concat(frames.slice(0, 2)))).toBe(true);
  });

  it('says when the one encoder stopped reading', async () => {
    const frames = makeFrames(100);
    const relay = createFrameRelay({ dir: await freshDir(), frameBytes: FRAME, lumaBytes: LUMA, embedders: [embedder(9)] });
    const outcome = relay.run();
    const only = createReadStream(relay.sinkPaths[0]!, { highWaterMark: 4096 });
    only.once('data', () => only.destroy());
    const writing = writeAll(relay.sourcePath, Buffer.concat(frames)).catch((error: unknown) => error);
    await expect(outcome).rejects.toThrow('encoder 1 stopped reading frames');
    expect(await writing).toMatchObject({ code: 'EPIPE' });
  });

  it('reports a cut-off last frame and relays the whole ones before it', async () => {
    const frames = makeFrames(3);
    const relay = createFrameRelay({ dir: await freshDir(), frameBytes: FRAME, lumaBytes: LUMA, embedders: [null] });
    const outcome = relay.run();
    const output = readAll(relay.sinkPaths[0]!);
    await writeAll(relay.sourcePath, Buffer.concat(frames).subarray(0, FRAME * 2 + 1000));
    expect(await outcome).toEqual({ frames: 2, trailingBytes: 1000 });
    expect((await output).equals(Buffer.concat(frames.slice(0, 2)))).toBe(true);
  });

  it('waits for a decoder that opens its pipe late, and stops at once when cancelled', async () => {
    const relay = createFrameRelay({ dir: await freshDir(), frameBytes: FRAME, lumaBytes: LUMA, embedders: [null] });
    const outcome = relay.run();
    const output = readAll(relay.sinkPaths[0]!);
    await delay(100);
    relay.cancel();
    await expect(outcome).rejects.toThrow('relay cancelled');
    expect((await output).length).toBe(0);
  });

  it('says which encoder stopped reading', async () => {
    const frames = makeFrames(100);
    const relay = createFrameRelay({ dir: await freshDir(), frameBytes: FRAME, lumaBytes: LUMA, embedders: [null, embedder(9)] });
    const outcome = relay.run();
    const first = readAll(relay.sinkPaths[0]!);
    // Encoder 2 reads one chunk, then goes away.
    const second = createReadStream(relay.sinkPaths[1]!, { highWaterMark: 4096 });
    second.once('data', () => second.destroy());
    const writing = writeAll(relay.sourcePath, Buffer.concat(frames)).catch((error: unknown) => error);
    await expect(outcome).rejects.toThrow('encoder 2 stopped reading frames');
    await first;
    // The relay closed its end of the decoder's pipe: the decoder's write fails instead of hanging.
    expect(await writing).toMatchObject({ code: 'EPIPE' });
  });

  it('refuses an embedder of another frame size, and anything that is not an embedder', async () => {
    const small = createEmbedder({ key: KEY, width: 128, height: 64, bitDepth: 8, payload: 3 });
    expect(() => createFrameRelay({ dir: dir, frameBytes: FRAME, lumaBytes: LUMA, embedders: [small] })).toThrow('embedder size does not match');
    expect(() => createFrameRelay({ dir: dir, frameBytes: FRAME, lumaBytes: LUMA, embedders: [{} as Embedder] })).toThrow('embedders must be Embedder objects or null');
    expect(() => createFrameRelay({ dir: path.join(dir, 'missing'), frameBytes: FRAME, lumaBytes: LUMA, embedders: [null] })).toThrow(/cannot create pipe .*missing/);
  });
});
