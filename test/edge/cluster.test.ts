import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageManifest } from '../../core/package-layout.js';
import { sessionTokens } from '../../edge/session-tokens.js';
import { makeAbPackage } from '../support/ab-package.js';
import { startCliProcess, type SpawnedCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

const TOKEN_KEY = '55'.repeat(32);
const WMT_KEY = '66'.repeat(32);
let services: TestServices;
let dir: string;
let manifest: PackageManifest;
let edge: SpawnedCli | undefined;

const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
});

beforeAll(async () => {
  services = await openTestServices();
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-edge-cluster-'));
  manifest = await makeAbPackage(dir, { contentId: 'film', seconds: 3 });
}, 60_000);

afterAll(async () => {
  edge?.child.kill('SIGTERM');
  await edge?.done;
  await services?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('vigil edge --workers 2', () => {
  it('serves from two processes and /metrics adds up both', async () => {
    const port = await freePort();
    edge = startCliProcess(['edge', '--package', dir, '--port', String(port), '--workers', '2'],
      { ...services.env, VIGIL_EDGE_TOKEN_KEY: TOKEN_KEY, VIGIL_WMT_KEY: WMT_KEY, VIGIL_LOG_LEVEL: 'warn' }, dir, 120_000);
    const now = Date.now();
    const session = { id: 'cluster-session-1', watermarkId: 77, viewer: 'v', contentId: 'film', package: dir, issuedAt: new Date(now - 1000), expiresAt: new Date(now + 600_000), revokedAt: null, issuedBy: 't' };
    const url = sessionTokens({ tokenKey: TOKEN_KEY, wmtKey: WMT_KEY }, session, { packageName: 'film', playlist: manifest.segments[1]!.uri, publicUrl: `http://127.0.0.1:${port}` }).playlistUrl;
    // Fresh connections, so the kernel spreads them over both workers; wait until both answer.
    const pids = new Set<string>();
    let served = 0;
    for (let i = 0; i < 600 && (served < 40 || pids.size < 2); i++) {
      const res = await fetch(url, { headers: { connection: 'close' } }).catch(() => undefined);
      if (!res) { await new Promise((r) => setTimeout(r, 100)); continue; }
      await res.arrayBuffer();
      if (res.status === 200) { served++; pids.add(res.headers.get('x-vigil-edge-pid') ?? ''); }
    }
    expect(pids.size).toBe(2);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain(`vigil_edge_requests_total{kind="segment",status="200"} ${served}`);
  }, 120_000);
});
