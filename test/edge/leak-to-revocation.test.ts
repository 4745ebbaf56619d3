/**
 * Issue 13 end to end: a packaged title, three viewers' sessions, three real HLS clients (ffmpeg
 * reading the playlist through `vigil edge` with each session's tokens), one copy re-encoded as a
 * pirate re-stream would be (720p, another bitrate, the start cut), `vigil detect --package …`
 * naming that session and only that one and, as the Policy says (spec.revocation.automatic), revoking
 * it; the edge refusing its next request while the other two keep playing, and the revocation API the
 * edge mounts listing it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_MANIFEST, type PackageManifest } from '../../core/package-layout.js';
import { applyCatalog } from '../support/applied-catalog.js';
import { restream, makePackagedTitle } from '../runners/package/fixtures.js';
import { runCli, startCli, type StartedCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

const run = promisify(execFile);

interface SessionOut { sessionId: string; watermarkId: number; playlistUrl: string }

let services: TestServices;
let dir: string;
let pkg: string;
/** A marked segment near the end of the title: what a player asks for next. */
let laterSegment: string;
let edge: StartedCli;
const stop = new AbortController();
let env: Record<string, string>;
const REVOCATION_KEY = 'leak-to-revocation-key-0123456789';

beforeAll(async () => {
  services = await openTestServices();
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-leak-revoke-'));
  ({ pkg } = await makePackagedTitle(dir));
  const manifest = JSON.parse(await readFile(path.join(pkg, PACKAGE_MANIFEST), 'utf8')) as PackageManifest;
  laterSegment = manifest.segments.filter((s) => s.position >= 0).at(-2)!.uri;
  env = { ...services.env, VIGIL_EDGE_TOKEN_KEY: '33'.repeat(32), VIGIL_WMT_KEY: '44'.repeat(32), VIGIL_REVOCATION_API_KEY: REVOCATION_KEY };
  await applyCatalog(services.db.pool, 'apiVersion: vigil/v1\nkind: Policy\nmetadata:\n  id: policy\nspec:\n  revocation:\n    automatic: true\n    durationSeconds: 3600\n');
  edge = startCli(['edge', '--package', pkg, '--port', '0'], env, dir, stop.signal);
  for (let i = 0; i < 400 && !/at (http:\/\/[^/\s]+)/.test(edge.stdout()); i++) {
    const early = await Promise.race([edge.done, new Promise((r) => setTimeout(r, 50, undefined))]);
    if (early) throw new Error(`vigil edge stopped: ${JSON.stringify(early)}`);
  }
  env.VIGIL_EDGE_URL = /at (http:\/\/[^/\s]+)/.exec(edge.stdout())![1]!;
}, 180_000);

afterAll(async () => {
  stop.abort();
  await edge?.done;
  await services?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function startSession(viewer: string): Promise<SessionOut> {
  const r = await runCli(['session', 'start', '--viewer', viewer, '--package', pkg, '--format', 'json'], env, dir);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as SessionOut;
}

/** The status of a request for a segment near the end of the title, as a player's next request. */
async function nextSegment(s: SessionOut): Promise<{ status: number; deny: string | null }> {
  const res = await fetch(s.playlistUrl.replace(/[^/]+$/, laterSegment));
  await res.arrayBuffer();
  return { status: res.status, deny: res.headers.get('x-vigil-deny') };
}

describe('from a leaked re-stream to its revoked session', () => {
  it('names the one session a re-encoded recording came from, revokes it, and leaves the other two playing', async () => {
    const sessions = [await startSession('acct-ana'), await startSession('acct-ben'), await startSession('acct-chloe')];
    const copies = await Promise.all(sessions.map(async (s, i) => {
      const out = path.join(dir, `copy-${i}.mp4`);
      await run('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-i', s.playlistUrl, '-c', 'copy', out], { timeout: 120_000 });
      return out;
    }));
    const leaker = sessions[1]!;
    const leak = path.join(dir, 'restream.mp4');
    await restream(copies[1]!, leak, { cutSeconds: 2.5, size: '1280:720', bitrate: '900k' });

    const detected = await runCli(['detect', '--package', pkg, leak], env, dir);
    expect(detected.stdout).toContain('the Policy revokes a traced session automatically (spec.revocation.automatic):\nrevoked 1 session(s) for 3600 s in revocation list 1');
    expect(detected.stdout).toContain(`Watermark ID ${leaker.watermarkId}:`);
    expect(detected.stdout).toContain(`session ${leaker.sessionId} of viewer acct-ben`);
    for (const other of [sessions[0]!, sessions[2]!]) expect(detected.stdout).not.toContain(other.sessionId);
    expect(detected.code).toBe(0);

    // The edge sees the revocation through Redis; the leaker's next request is refused, the others' are served.
    let leakerNext = await nextSegment(leaker);
    for (let i = 0; i < 100 && leakerNext.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 20));
      leakerNext = await nextSegment(leaker);
    }
    expect(leakerNext).toEqual({ status: 403, deny: 'session-revoked' });
    expect(await nextSegment(sessions[0]!)).toEqual({ status: 200, deny: null });
    expect(await nextSegment(sessions[2]!)).toEqual({ status: 200, deny: null });
    const { rows } = await services.db.pool.query<{ viewer: string }>('select viewer from streaming_sessions where revoked_at is not null');
    expect(rows.map((r) => r.viewer)).toEqual(['acct-ben']);
    const audit = await services.db.pool.query<{ actor: string }>(`select actor from audit_log where action = 'session-revoked' and object_id = $1`, [leaker.sessionId]);
    expect(audit.rows).toEqual([{ actor: 'automation:policy' }]);
    // The edge mounts the revocation API (its key set): the revocation is listed there with its TTL.
    const listed = await fetch(`${env.VIGIL_EDGE_URL}/taas/v2/revocation-lists/1/identifiers/${leaker.sessionId}`, { headers: { authorization: `Bearer ${REVOCATION_KEY}` } });
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ id: leaker.sessionId, ttl: expect.any(Number) });
    expect((await fetch(`${env.VIGIL_EDGE_URL}/taas/v2/revocation-lists`)).status).toBe(401);
  }, 300_000);
});
