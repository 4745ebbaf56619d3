import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { rawFrameSink } from '../../../runners/media/ffmpeg-run.js';

describe('the stream a decoder pipes frames into', () => {
  it('does not close by itself once read to the end, which fluent-ffmpeg would take for a failed run', async () => {
    const sink = rawFrameSink(16);
    let closed = false;
    sink.on('close', () => (closed = true));
    sink.end(Buffer.alloc(64, 7));
    let bytes = 0;
    for await (const chunk of sink) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(64);
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(false);
    sink.destroy();
    await once(sink, 'close');
  });
});
