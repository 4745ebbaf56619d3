import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addInputOptions, addOutputOptions, newCommand, start } from '../../../runners/media/ffmpeg-run.js';

let dir: string;
let calls: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-ffmpeg-run-'));
  calls = path.join(dir, 'calls');
  // A real ffmpeg behind a script that notes each start's arguments. fluent-ffmpeg reads
  // FFMPEG_PATH once, at its first run in this (fresh) test worker.
  const wrapper = path.join(dir, 'ffmpeg');
  await fs.writeFile(wrapper, `#!/bin/sh\necho "$* VIGIL_TEST_VAR=$VIGIL_TEST_VAR" >> '${calls}'\nexec ffmpeg "$@"\n`, { mode: 0o755 });
  process.env.FFMPEG_PATH = wrapper;
});
afterAll(async () => {
  delete process.env.FFMPEG_PATH;
  await fs.rm(dir, { recursive: true, force: true });
});

describe('ffmpeg runs through fluent-ffmpeg', () => {
  it('start one ffmpeg each, without the ffmpeg -formats / -encoders probes, even when started together', async () => {
    const run = (i: number): Promise<void> => {
      const command = newCommand().input('color=s=32x32:d=0.2');
      addInputOptions(command, ['-f', 'lavfi']);
      addOutputOptions(command.output(path.join(dir, `out-${i}.nut`)), ['-c:v', 'rawvideo', '-f', 'nut']);
      return start(command, `run ${i}`).done;
    };
    await Promise.all([run(1), run(2)]);
    const lines = (await fs.readFile(calls, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.includes('color=s=32x32'))).toBe(true);
    expect((await fs.stat(path.join(dir, 'out-2.nut'))).size).toBeGreaterThan(0);
  });

  it('passes the variables given to newCommand to that ffmpeg alone', async () => {
    const run = (i: number, env?: Record<string, string>): Promise<void> => {
      const command = newCommand(env ? { env } : {}).input('color=s=32x32:d=0.1');
      addInputOptions(command, ['-f', 'lavfi']);
      addOutputOptions(command.output(path.join(dir, `env-${i}.nut`)), ['-c:v', 'rawvideo', '-f', 'nut']);
      return start(command, `env run ${i}`).done;
    };
    await Promise.all([run(1, { VIGIL_TEST_VAR: 'set-for-one' }), run(2)]);
    const lines = (await fs.readFile(calls, 'utf8')).trim().split('\n');
    expect(lines.find((l) => l.includes('env-1.nut'))).toMatch(/VIGIL_TEST_VAR=set-for-one$/);
    expect(lines.find((l) => l.includes('env-2.nut'))).toMatch(/VIGIL_TEST_VAR=$/);
    expect(process.env.VIGIL_TEST_VAR).toBeUndefined();
  });

  it("still reports ffmpeg's own refusal of an unknown format, which the skipped probe used to catch", async () => {
    const command = newCommand().input('color=s=32x32:d=0.2');
    addInputOptions(command, ['-f', 'lavfi']);
    addOutputOptions(command.output(path.join(dir, 'bad.out')), ['-f', 'no_such_muxer']);
    await expect(start(command, 'bad run').done).rejects.toThrow(/bad run: .*no_such_muxer/s);
  });
});
