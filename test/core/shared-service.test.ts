import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../core/db/embedded.js';
import { silentLogger } from '../../core/log.js';
import { openSharedService, portOpen, processAlive, type ServiceState, type StartedServer } from '../../core/shared-service.js';

const SERVER = "const s = require('net').createServer((c) => c.end()).listen(0, '127.0.0.1', () => console.log(s.address().port))";

/** A real server process on a loopback port, standing in for postgres or redis-server. */
async function startServer(): Promise<StartedServer & { exited: Promise<unknown> }> {
  const child = spawn(process.execPath, ['-e', SERVER]);
  const exited = once(child, 'exit');
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(chunk.toString().trim());
  return { servicePid: child.pid!, port, url: `tcp://127.0.0.1:${port}`, exited, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

describe('a server shared by the vigil processes of one VIGIL_HOME', () => {
  let runDir: string;
  let servers: Awaited<ReturnType<typeof startServer>>[];
  const start = async (): Promise<StartedServer> => {
    const server = await startServer();
    servers.push(server);
    return server;
  };
  const open = () => openSharedService({ runDir, name: 'fake', start, stopSignal: 'SIGTERM', log: silentLogger });
  const state = async (): Promise<ServiceState> => JSON.parse(await fs.readFile(path.join(runDir, 'fake.json'), 'utf8')) as ServiceState;

  beforeEach(async () => {
    runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-shared-'));
    servers = [];
  });
  afterEach(async () => {
    for (const s of servers) if (processAlive(s.servicePid)) await s.stop();
    await fs.rm(runDir, { recursive: true, force: true });
  });

  it('starts one server when two open it at once; the other attaches to it', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    expect(servers).toHaveLength(1);
    expect([a.role, b.role].sort()).toEqual(['attached', 'started']);
    expect(a.url).toBe(b.url);
    expect(await state()).toMatchObject({ ownerPid: process.pid, servicePid: servers[0]!.servicePid, port: servers[0]!.port, url: a.url });
    await Promise.all([a.release(), b.release()]);
  });

  it('leaves the server running when one that attached lets go; the owner stops it and removes the state file', async () => {
    const owner = await open();
    const attached = await open();
    expect(attached.role).toBe('attached');
    await attached.release();
    expect(await portOpen(servers[0]!.port)).toBe(true);
    await owner.release();
    expect(processAlive(servers[0]!.servicePid)).toBe(false);
    await expect(fs.stat(path.join(runDir, 'fake.json'))).rejects.toThrow();
    expect(await fs.readdir(runDir)).toEqual([]);
  });

  it('keeps the server running for a process still using it when the one that started it lets go; the last to let go stops it', async () => {
    const starter = await open();
    const later = await open();
    expect([starter.role, later.role]).toEqual(['started', 'attached']);
    await starter.release();
    expect(processAlive(servers[0]!.servicePid)).toBe(true);
    // A newcomer still finds it, and nobody starts a second server.
    const newcomer = await open();
    expect(newcomer.role).toBe('attached');
    expect(servers).toHaveLength(1);
    await later.release();
    expect(await portOpen(servers[0]!.port)).toBe(true);
    await newcomer.release();
    expect(processAlive(servers[0]!.servicePid)).toBe(false);
    expect(await fs.readdir(runDir)).toEqual([]);
  });

  it('recovers from a state file whose owner died and whose port is closed', async () => {
    await fs.writeFile(path.join(runDir, 'fake.json'), JSON.stringify({ ownerPid: await deadPid(), servicePid: await deadPid(), port: await freePort(), url: 'tcp://gone', startedAt: '' }));
    const service = await open();
    expect(service.role).toBe('started');
    expect(await state()).toMatchObject({ ownerPid: process.pid, port: servers[0]!.port });
    await service.release();
  });

  it('adopts a server whose owner died (killed outright) and stops it when done', async () => {
    const orphan = await startServer();
    servers.push(orphan);
    await fs.writeFile(path.join(runDir, 'fake.json'), JSON.stringify({ ownerPid: await deadPid(), servicePid: orphan.servicePid, port: orphan.port, url: orphan.url, startedAt: '' }));
    const service = await open();
    expect(service.role).toBe('adopted');
    expect(service.url).toBe(orphan.url);
    expect(servers).toHaveLength(1);
    expect((await state()).ownerPid).toBe(process.pid);
    await service.release();
    await orphan.exited;
  });

  it('stops the server and removes the state file when its owner exits without letting go (process.exit)', async () => {
    const core = path.resolve(import.meta.dirname, '../../core');
    const script = `
      import { spawn } from 'node:child_process';
      import { once } from 'node:events';
      import { openSharedService } from ${JSON.stringify(path.join(core, 'shared-service.ts'))};
      import { silentLogger } from ${JSON.stringify(path.join(core, 'log.ts'))};
      const start = async () => {
        const child = spawn(process.execPath, ['-e', ${JSON.stringify(SERVER)}], { stdio: ['ignore', 'pipe', 'ignore'] });
        const [chunk] = await once(child.stdout, 'data');
        const port = Number(String(chunk).trim());
        return { servicePid: child.pid, port, url: 'tcp://127.0.0.1:' + port, stop: async () => undefined };
      };
      await openSharedService({ runDir: ${JSON.stringify(runDir)}, name: 'fake', start, stopSignal: 'SIGTERM', log: silentLogger });
      const { readFileSync } = await import('node:fs');
      process.stdout.write(JSON.parse(readFileSync(${JSON.stringify(path.join(runDir, 'fake.json'))}, 'utf8')).servicePid + '\\n');
      process.exit(3);`;
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    owner.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    owner.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const [code] = (await once(owner, 'exit')) as [number];
    expect(code, stderr).toBe(3);
    // The pid the state file named while the owner ran (it printed it just before exiting).
    const servicePid = Number(stdout.trim());
    expect(servicePid).toBeGreaterThan(0);
    await expect.poll(() => processAlive(servicePid), { timeout: 10_000 }).toBe(false);
    await expect(fs.stat(path.join(runDir, 'fake.json'))).rejects.toThrow();
  });

  it('breaks a start lock left by a process that died, and waits for one held by a live process', async () => {
    await fs.writeFile(path.join(runDir, 'fake.lock'), String(await deadPid()));
    const service = await open();
    expect(service.role).toBe('started');
    await service.release();

    // A live holder (this process, standing for another) blocks until the wait runs out.
    await fs.writeFile(path.join(runDir, 'fake.lock'), String(process.pid));
    const blocked = openSharedService({ runDir, name: 'fake', start, stopSignal: 'SIGTERM', log: silentLogger, waitMs: 300 });
    await expect(blocked).rejects.toThrow(/fake\.lock has been held by process \d+/);
  });
});
