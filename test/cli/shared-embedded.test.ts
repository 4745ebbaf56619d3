import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processAlive, type ServiceState } from '../../core/shared-service.js';
import { spawnCli } from '../support/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('the embedded PostgreSQL and redis-server of one VIGIL_HOME', () => {
  const home = path.join(os.tmpdir(), `vigil-shared-embedded-${process.pid}`);
  const env = { VIGIL_HOME: home };
  const state = async (name: string): Promise<ServiceState | undefined> =>
    fs.readFile(path.join(home, 'run', `${name}.json`), 'utf8').then((t) => JSON.parse(t) as ServiceState, () => undefined);
  afterAll(() => fs.rm(home, { recursive: true, force: true }));

  it('serve every vigil command run while vigil worker runs; the next command after it starts its own', async () => {
    // No DATABASE_URL nor REDIS_URL: the worker starts both under VIGIL_HOME and keeps them.
    const worker = spawn(process.execPath, ['--import', 'tsx', 'cli/run.ts', 'worker'], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', VIGIL_LOG_LEVEL: 'info', ...env },
    });
    let stderr = '';
    worker.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('close', resolve));
    try {
      await expect.poll(() => stderr, { timeout: 120_000, interval: 200 }).toMatch(/workers started/);
      expect(await state('postgres')).toMatchObject({ ownerPid: worker.pid });
      expect(await state('redis')).toMatchObject({ ownerPid: worker.pid });

      const [findings, status] = await Promise.all([spawnCli(['findings'], env, ROOT, 120_000), spawnCli(['status'], env, ROOT, 120_000)]);
      expect(findings.code, findings.stderr).toBe(0);
      expect(findings.stdout).toMatch(/0 finding\(s\)/);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain(`Database: embedded PostgreSQL in ${home}/pg`);
      // They let go without stopping what the worker owns.
      const postgres = (await state('postgres'))!;
      expect(processAlive(postgres.servicePid)).toBe(true);
      expect(worker.exitCode).toBeNull();
    } finally {
      worker.kill('SIGINT');
    }
    expect(await exited, stderr).toBe(0);
    expect(await state('postgres')).toBeUndefined();
    expect(await state('redis')).toBeUndefined();

    const alone = await spawnCli(['status'], env, ROOT, 120_000);
    expect(alone.code, alone.stderr).toBe(0);
    expect(await fs.readdir(path.join(home, 'run'))).toEqual([]);
  }, 400_000);
});
