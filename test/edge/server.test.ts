import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternFor, variantAt } from '../../core/ab-pattern.js';
import type { PackageManifest } from '../../core/package-layout.js';
import { generateToken } from '../../edge/edgeauth.js';
import { revocationKeys } from '../../edge/revocation-keys.js';
import { sessionPath } from '../../edge/session-tokens.js';
import { issueWmt } from '../../edge/wmt.js';
import { makeAbPackage } from '../support/ab-package.js';
import { runCli, startCli, type StartedCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

const run = promisify(execFile);
const TOKEN_KEY = '11'.repeat(32);
const WMT_KEY = '22'.repeat(32);
const API_KEY = 'test-session-api-key-0123456789';

interface SessionOut { sessionId: string; watermarkId: number; token: string; wmt: string; playlistUrl: string; expiresAt: string }

let services: TestServices;
let dir: string;
let manifest: PackageManifest;
let edge: StartedCli;
let stop: AbortController;
let base: string;
let env: Record<string, string>;

async function startSession(viewer: string, extra: string[] = []): Promise<SessionOut> {
  const r = await runCli(['session', 'start', '--viewer', viewer, '--package', dir, '--format', 'json', ...extra], env, dir);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as SessionOut;
}

const urlOf = (s: Pick<SessionOut, 'token' | 'wmt'>, file: string): string => `${base}${sessionPath(s.token, s.wmt, 'demo-film', file)}`;

async function denial(url: string): Promise<string | null> {
  const res = await fetch(url);
  await res.arrayBuffer();
  return res.status === 403 ? res.headers.get('x-vigil-deny') : `status ${res.status}`;
}

beforeAll(async () => {
  services = await openTestServices();
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-edge-'));
  manifest = await makeAbPackage(dir, { contentId: 'demo-film' });
  env = { ...services.env, VIGIL_EDGE_TOKEN_KEY: TOKEN_KEY, VIGIL_WMT_KEY: WMT_KEY, VIGIL_SESSION_API_KEY: API_KEY };
  stop = new AbortController();
  edge = startCli(['edge', '--package', dir, '--port', '0'], env, dir, stop.signal);
  for (let i = 0; i < 200 && !/at (http:\/\/[^/\s]+)/.test(edge.stdout()); i++) {
    const early = await Promise.race([edge.done, new Promise((r) => setTimeout(r, 50, undefined))]);
    if (early) throw new Error(`vigil edge stopped: ${JSON.stringify(early)}`);
  }
  base = /at (http:\/\/[^/\s]+)/.exec(edge.stdout())![1]!;
  env.VIGIL_EDGE_URL = base;
}, 60_000);

afterAll(async () => {
  stop?.abort();
  await edge?.done;
  await services?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('vigil edge', () => {
  it('serves each segment from A/ or B/ by the session pattern at its position, direct and indirect mode', async () => {
    for (const mode of ['direct', 'indirect']) {
      const s = await startSession(`viewer-${mode}`, ['--mode', mode]);
      const pattern = patternFor(s.watermarkId);
      let fromB = 0;
      for (const seg of manifest.segments) {
        const res = await fetch(urlOf(s, seg.uri));
        expect(res.status).toBe(200);
        const body = Buffer.from(await res.arrayBuffer());
        const variant = seg.position < 0 ? 0 : variantAt(pattern, seg.position);
        fromB += variant;
        expect(body.equals(await readFile(path.join(dir, variant ? 'B' : 'A', seg.uri))), `${mode} ${seg.uri}`).toBe(true);
      }
      // The check is only worth something when the pattern picks both variants over these positions.
      expect(fromB).toBeGreaterThan(0);
      expect(fromB).toBeLessThan(manifest.segments.length - 1);
    }
  });

  it('hands two sessions different watermark IDs and records them with their audit rows', async () => {
    const a = await startSession('alice');
    const b = await startSession('bob');
    expect(b.watermarkId).toBeGreaterThan(a.watermarkId);
    const { rows } = await services.db.pool.query<{ viewer: string; watermark_id: string }>('select viewer, watermark_id from streaming_sessions where id = any($1) order by watermark_id', [[a.sessionId, b.sessionId]]);
    expect(rows.map((r) => [r.viewer, Number(r.watermark_id)])).toEqual([['alice', a.watermarkId], ['bob', b.watermarkId]]);
    const audit = await services.db.pool.query('select 1 from audit_log where action = $1 and object_id = any($2)', ['session-started', [a.sessionId, b.sessionId]]);
    expect(audit.rowCount).toBe(2);
  });

  it('ffmpeg downloads the whole playlist through the edge with a session\'s token', async () => {
    const s = await startSession('ffmpeg-viewer');
    const before = await segmentCount();
    const out = path.join(dir, 'download.mp4');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', s.playlistUrl, '-c', 'copy', out], { timeout: 60_000 });
    const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', out]);
    expect(Number(probe.stdout.trim())).toBeGreaterThan(manifest.segments.length - 1.5);
    expect(await segmentCount()).toBe(before + manifest.segments.length);
  });

  it('refuses forged, expired, not-yet-valid, wrong-ACL and missing tokens, and bad WMTs, with a reason', async () => {
    const s = await startSession('refusals');
    const now = Math.floor(Date.now() / 1000);
    const tokenWith = (fields: Partial<{ startTime: number; endTime: number; acl: string; key: string }>): string =>
      generateToken({ hex: fields.key ?? TOKEN_KEY }, { startTime: fields.startTime ?? now - 5, endTime: fields.endTime ?? now + 600, acl: fields.acl ?? '/demo-film/*', sessionId: s.sessionId });
    const seg = manifest.segments[2]!.uri;
    expect(await denial(urlOf({ token: s.token.replace(/hmac=(.)/, (_, c: string) => `hmac=${c === 'a' ? 'b' : 'a'}`), wmt: s.wmt }, seg))).toBe('token-bad-signature');
    expect(await denial(urlOf({ token: tokenWith({ key: '33'.repeat(32) }), wmt: s.wmt }, seg))).toBe('token-bad-signature');
    expect(await denial(urlOf({ token: tokenWith({ startTime: now - 100, endTime: now - 10 }), wmt: s.wmt }, seg))).toBe('token-expired');
    expect(await denial(urlOf({ token: tokenWith({ startTime: now + 300, endTime: now + 600 }), wmt: s.wmt }, seg))).toBe('token-not-yet-valid');
    expect(await denial(urlOf({ token: tokenWith({ acl: '/other-film/*' }), wmt: s.wmt }, seg))).toBe('token-acl-mismatch');
    expect(await denial(`${base}/demo-film/${seg}`)).toBe('token-missing');
    const foreignWmt = issueWmt('44'.repeat(32), { mode: 'direct', watermarkId: 5, issuedAt: now, expiresAt: now + 600, sessionId: s.sessionId });
    expect(await denial(urlOf({ token: s.token, wmt: foreignWmt }, seg))).toBe('wmt-bad-mac');
    const otherSessions = issueWmt(WMT_KEY, { mode: 'direct', watermarkId: 5, issuedAt: now, expiresAt: now + 600, sessionId: 'someone-else' });
    expect(await denial(urlOf({ token: s.token, wmt: otherSessions }, seg))).toBe('wmt-session-mismatch');
    const expiredWmt = issueWmt(WMT_KEY, { mode: 'direct', watermarkId: 5, issuedAt: now - 100, expiresAt: now - 1, sessionId: s.sessionId });
    expect(await denial(urlOf({ token: s.token, wmt: expiredWmt }, seg))).toBe('wmt-expired');
    const res = await fetch(urlOf({ token: tokenWith({ acl: '/other-film/*' }), wmt: s.wmt }, seg));
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 403, reason: 'token-acl-mismatch' });
    // Nothing was served for any of them, and the good token still works.
    expect(await denial(urlOf(s, seg))).toBe('status 200');
  });

  it('refuses a revoked session from its next request on; other sessions keep playing', async () => {
    const leaker = await startSession('leaker');
    const other = await startSession('honest');
    const seg = manifest.segments[1]!.uri;
    expect(await denial(urlOf(leaker, seg))).toBe('status 200');
    const keys = revocationKeys(services.config.queuePrefix);
    const redis = services.redis.client();
    const until = Date.now() + 3_600_000;
    await redis.hset(keys.lists, '1', JSON.stringify({ id: 1, name: 'leaks', createdAt: new Date().toISOString() }));
    await redis.zadd(keys.ids(1), until, leaker.sessionId);
    await redis.publish(keys.events, JSON.stringify({ listId: 1, op: 'add', ids: [leaker.sessionId], until }));
    let reason: string | null = null;
    for (let i = 0; i < 40 && reason !== 'session-revoked'; i++) {
      reason = await denial(urlOf(leaker, seg));
      if (reason !== 'session-revoked') await new Promise((r) => setTimeout(r, 50));
    }
    expect(reason).toBe('session-revoked');
    expect(await denial(urlOf(leaker, 'index.m3u8'))).toBe('session-revoked');
    expect(await denial(urlOf(other, seg))).toBe('status 200');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/vigil_edge_denials_total\{reason="session-revoked"\} [1-9]/);
    expect(metrics).toMatch(/vigil_edge_request_duration_seconds_count [1-9]/);
    redis.disconnect();
  });

  it('starts sessions through POST /v1/sessions with the bearer key; problem+json otherwise', async () => {
    const post = (body: unknown, auth = `Bearer ${API_KEY}`): Promise<Response> =>
      fetch(`${base}/v1/sessions`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const unauthorized = await post({ viewer: 'x' }, 'Bearer wrong');
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('content-type')).toBe('application/problem+json');
    const bad = await post({ viewer: 'x', ttlSeconds: 10 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'VIGIL-E0601' });
    expect((await post({ viewr: 'x' })).status).toBe(400);
    const ok = await post({ viewer: 'api-viewer', ttlSeconds: 600 });
    expect(ok.status).toBe(201);
    const s = await ok.json() as SessionOut;
    expect(s.playlistUrl).toBe(urlOf(s, 'index.m3u8'));
    const playlist = await fetch(s.playlistUrl);
    expect(playlist.status).toBe(200);
    expect(await playlist.text()).toContain('#EXT-X-MAP:URI="init.mp4"');
  });
});

async function segmentCount(): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /vigil_edge_requests_total\{kind="segment",status="200"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}
