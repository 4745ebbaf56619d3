import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { silentLogger } from '../../core/log.js';
import { openRedis } from '../../core/redis.js';

describe("vigil's own redis-server", () => {
  it('runs with append-only persistence under VIGIL_HOME, so queued work survives its restart', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-own-redis-'));
    const redis = await openRedis(loadConfig({ VIGIL_HOME: home }), silentLogger);
    const client = redis.client();
    try {
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
      expect(await client.config('GET', 'dir')).toEqual(['dir', path.join(home, 'redis')]);
    } finally {
      client.disconnect();
      await redis.stop();
      await fs.rm(home, { recursive: true, force: true });
    }
  });
});
