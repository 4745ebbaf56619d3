import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadRunEntries, HOST, LEFTOVER_PATTERNS, makePipesDir, removeDeadRunLeftovers, tempPathFor } from '../../../runners/media/leftovers.js';

let dir: string;
let deadPid: number;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-leftovers-'));
  // A pid that surely belonged to a process that has exited.
  deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('leftovers of dead embed runs', () => {
  it("names temp outputs for the owner's machine and pid, hidden beside their final name", () => {
    expect(path.basename(tempPathFor('/out/film.A.1.mov', 4242))).toMatch(new RegExp(`^\\.film\\.A\\.1\\.vigil-${HOST}-4242-[0-9a-f]{8}\\.partial\\.mov$`));
  });

  it('picks only entries of this machine whose owner is gone, and only names of the patterns it owns', () => {
    const names = ['.a.vigil-h-1-0000abcd.partial.mp4', '.b.vigil-h-2-0000abcd.partial.mp4', '.c.vigil-other-host-1-0000abcd.partial.mp4',
      'a.mp4', '.a.partial.mp4', '.x.vigil-h-3-zz.partial.mp4'];
    expect(deadRunEntries(names, LEFTOVER_PATTERNS.partial, (pid) => pid === 2, 'h')).toEqual(['.a.vigil-h-1-0000abcd.partial.mp4']);
    expect(deadRunEntries(['vigil-embed-my-host-7-AbC123', 'vigil-embed-my-host-7-x', 'vigil-finding-1'], LEFTOVER_PATTERNS.pipes, () => false, 'my-host')).toEqual(['vigil-embed-my-host-7-AbC123']);
  });

  it("removes a dead run's partial outputs but keeps a live run's files and every finished output", async () => {
    const dead = tempPathFor(path.join(dir, 'film.A.1.mp4'), deadPid);
    const live = tempPathFor(path.join(dir, 'film.B.2.mp4'));
    const done = path.join(dir, 'film.C.3.mp4');
    for (const f of [dead, live, done]) await fs.writeFile(f, 'x');
    const deadPipes = await makePipesDir(deadPid);
    const livePipes = await makePipesDir();
    try {
      const removed = await removeDeadRunLeftovers([dir]);
      expect(removed).toContain(dead);
      expect(removed).toContain(deadPipes);
      expect(removed).not.toContain(livePipes);
      expect((await fs.readdir(dir)).sort()).toEqual([path.basename(live), path.basename(done)].sort());
      expect(await fs.stat(livePipes).then(() => true)).toBe(true);
    } finally {
      await fs.rm(livePipes, { recursive: true, force: true });
    }
  });
});
