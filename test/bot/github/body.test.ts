import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCappedBody } from '../../../bot/github/body.js';

/** A body that never ends, counting what was pulled from it. */
function endless(chunkSize: number): { stream: Readable; pulled: () => number } {
  let pulled = 0;
  const chunk = Buffer.alloc(chunkSize, 0x61);
  const stream = new Readable({ read() { pulled += chunk.length; this.push(chunk); } });
  return { stream, pulled: () => pulled };
}

describe('reading a webhook body under a cap', () => {
  it('reads a body up to the cap whole', async () => {
    const result = await readCappedBody(Readable.from([Buffer.from('{"a":'), Buffer.from('1}')]), 7);
    expect(result).toEqual({ ok: true, body: Buffer.from('{"a":1}') });
  });

  it('refuses a declared Content-Length over the cap without reading a byte', async () => {
    const body = endless(1024);
    expect(await readCappedBody(body.stream, 4096, '4097')).toEqual({ ok: false, reason: 'too-large' });
    expect(body.pulled()).toBe(0);
  });

  it('stops reading an endless chunked body soon after it passes the cap', async () => {
    const body = endless(16 * 1024);
    expect(await readCappedBody(body.stream, 1024 * 1024)).toEqual({ ok: false, reason: 'too-large' });
    const pulledAtRefusal = body.pulled();
    // The cap, plus what a stream buffers ahead (its high-water mark), and no more.
    expect(pulledAtRefusal).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.pulled()).toBeLessThanOrEqual(pulledAtRefusal + 16 * 1024);
  });
});
