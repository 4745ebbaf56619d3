import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogDocument, ContentSpec, SiteSpec } from '../../../core/catalog/types.js';
import { findingPage } from '../../../core/db/finding-pages.js';
import { queryFindings, type Finding } from '../../../core/db/findings.js';
import { buildEvidencePack, type EvidenceSources } from '../../../runners/evidence/pack.js';
import { sha1Digest } from '../../../runners/evidence/warc.js';
import { createConfirmer, referenceFingerprints } from '../../../runners/monitor/confirm.js';
import { createFetcher, parseResolve, type Fetcher } from '../../../runners/monitor/fetch.js';
import { runRound } from '../../../runners/monitor/round.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { runCli, startCliProcess } from '../../support/cli.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from '../monitor/fixture-web.js';

/**
 * Evidence packs for findings a real monitoring round recorded against local pirate pages: the
 * pack is unzipped, every hash checked (by node and by sha256sum -c), the WARC read back with
 * warcio, the frame pictures probed with ffprobe, and the distances compared with the finding's.
 */

const content: ContentSpec = {
  type: 'season', title: 'Moonlit Harbor', season: 1, episodes: 10, releaseDate: '2026-03-06',
  referenceMedia: [{ path: 'ref.mp4', kind: 'video', episode: 3 }],
};
const CONTENT_YAML = `apiVersion: vigil/v1
kind: Content
metadata:
  id: moonlit
spec:
  type: season
  title: Moonlit Harbor
  season: 1
  episodes: 10
  releaseDate: 2026-03-06
  referenceMedia:
    - path: ref.mp4
      kind: video
      episode: 3
`;

let server: FixtureServer;
let services: TestServices;
let work: string;
let fetch: Fetcher;
let findings: Finding[];
/** What the leak of episode 4 does now: serve, vanish (404) or hang. */
let e04: 'serve' | 'gone' | 'slow' = 'serve';
const E03_PAGE = piracyTemplate({ title: 'Moonlit Harbor S01E03 - watch free in 1080p', body: 'Eng sub, no sign up. Stream free. 무료보기', trackingId: 'G-SF12345', video: '/media/leak.mp4' });

function siteDoc(id: string, spec: SiteSpec): CatalogDocument<'Site'> {
  return { apiVersion: 'vigil/v1', kind: 'Site', metadata: { id }, spec, source: { file: 'sites.yaml', index: 0, position: { line: 1, col: 1 }, locate: () => ({ line: 1, col: 1 }) } };
}

const ffmpeg = (...args: string[]): void => { execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 }); };
const byPath = (p: string): Finding => findings.find((f) => new URL(f.url).pathname === p)!;
const noSources: EvidenceSources = { notices: () => Promise.resolve([]), linkChecks: () => Promise.resolve([]) };

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-evidence-'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ref.mp4');
  // The leak: re-encoded at low quality, cropped and scaled down.
  ffmpeg('-i', 'ref.mp4', '-vf', 'crop=iw*0.92:ih*0.92,scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '38', 'leak.mp4');
  const leak = readFileSync(path.join(work, 'leak.mp4'));

  server = await startFixtureServer();
  services = await openTestServices();
  await applyCatalog(services.db.pool, CONTENT_YAML);
  const u = (p: string): string => server.url('streamfree.to', p);
  server.route('streamfree.to', '/latest', { body: piracyTemplate({ title: 'Latest episodes', body: 'New today', links: [u('/go/e03'), u('/watch/moonlit-harbor-s01e04')] }) });
  // The page is reached through a redirect and served gzipped with cookies: the capture must say so.
  server.route('streamfree.to', '/go/e03', { status: 302, headers: { location: u('/watch/moonlit-harbor-s01e03') } });
  server.route('streamfree.to', '/watch/moonlit-harbor-s01e03', { body: E03_PAGE, gzip: true, headers: { 'set-cookie': 'sid=abc; Path=/', 'x-served-by': 'pirate-edge-7' } });
  server.route('streamfree.to', '/watch/moonlit-harbor-s01e04', { body: piracyTemplate({ title: 'Moonlit Harbor S01E04 watch free 1080p eng sub', body: 'Stream free', video: '/media/e04.mp4' }) });
  server.route('streamfree.to', '/media/leak.mp4', { type: 'video/mp4', body: leak });
  server.route('streamfree.to', '/media/e04.mp4', () => (e04 === 'gone' ? { status: 404, type: 'text/html', body: 'File not found' } : { type: 'video/mp4', body: leak, ...(e04 === 'slow' ? { delayMs: 4000 } : {}) }));

  fetch = createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) });
  const r = await runRound({
    contentId: 'moonlit', content, fetch, web: { perHostDelayMs: 0 }, db: services.db.pool,
    sites: [siteDoc('streamfree', { type: 'piracy', family: 'streamfree', domains: ['streamfree.to'], sources: [{ type: 'web', url: u('/latest'), depth: 1 }] })],
    confirm: createConfirmer({ fetch, references: await referenceFingerprints(content, work) }),
  });
  expect(r.findings).toHaveLength(2);
  findings = await queryFindings(services.db.pool, { contentId: 'moonlit' });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function unzip(file: string): string {
  const dir = mkdtempSync(path.join(work, 'unzipped-'));
  execFileSync('unzip', ['-q', file, '-d', dir]);
  return dir;
}

/** Header maps with lower-case names: warcio keeps them as it read them. */
const lower = (headers: Map<string, string>): Map<string, string> => new Map([...headers].map(([k, v]) => [k.toLowerCase(), v]));

async function readWarc(file: string): Promise<{ type: string | undefined; uri: string | undefined; fields: Map<string, string>; http?: Map<string, string>; status?: string; body: Buffer }[]> {
  const bytes = readFileSync(file);
  async function* source(): AsyncGenerator<Uint8Array> { yield new Uint8Array(bytes); }
  const out = [];
  for await (const record of new WARCParser(source())) {
    const body = Buffer.from(await record.readFully(false));
    out.push({
      type: record.warcType ?? undefined, uri: record.warcTargetURI ?? undefined, fields: lower(record.warcHeaders.headers as Map<string, string>),
      ...(record.httpHeaders ? { http: lower(record.httpHeaders.headers as Map<string, string>), status: String(record.httpHeaders.statusCode ?? record.httpHeaders.method) } : {}),
      body,
    });
  }
  return out;
}

function probe(file: string): { codec_name: string; width: number; height: number } {
  const run = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams[0]!;
}

interface Manifest { files: { path: string; bytes: number; sha256: string }[]; missing: { part: string; why: string }[]; finding: { id: number } }

describe('the page kept with a finding', () => {
  it('is the page as fetched: final URL after the redirect, request and response headers, the decoded body, the time', async () => {
    const f = byPath('/watch/moonlit-harbor-s01e03');
    const page = (await findingPage(services.db.pool, f.id))!;
    expect(page).toBeDefined();
    expect(page.finalUrl).toBe(f.url);
    expect(page.redirects).toEqual([{ from: server.url('streamfree.to', '/go/e03'), to: f.url, status: 302 }]);
    expect(page.body.toString('utf8')).toBe(E03_PAGE);
    expect(page.truncated).toBe(false);
    expect(page.responseHeaders).toContainEqual(['content-encoding', 'gzip']);
    expect(page.responseHeaders).toContainEqual(['set-cookie', 'sid=abc; Path=/']);
    expect(page.requestHeaders.find(([n]) => n.toLowerCase() === 'user-agent')?.[1]).toMatch(/^VigilCrawler/);
    expect(page.fetchedAt.getTime()).toBeLessThanOrEqual(f.firstSeen.getTime());
    expect(Date.now() - page.fetchedAt.getTime()).toBeLessThan(10 * 60_000);
  });
});

describe('an evidence pack', () => {
  it('holds the page as a WARC, matched frames beside reference frames, the distances and a manifest every hash of which checks', async () => {
    const f = byPath('/watch/moonlit-harbor-s01e03');
    const notices = [{ id: 9, channel: 'email', to: 'abuse@streamfree.to', status: 'sent', receipts: [{ at: '2026-03-07T11:00:00Z', smtp: '250 2.0.0 queued as 4F1' }] }];
    const out = path.join(work, 'e03.zip');
    const pack = await buildEvidencePack({
      pool: services.db.pool, findingId: f.id, out, fetch, mediaRoot: work, software: 'Vigil test',
      sources: { notices: (id) => Promise.resolve(id === f.id ? notices : []), linkChecks: () => Promise.resolve([{ check: 1, status: 200, verdict: 'still up' }]) },
    });
    expect(pack.file).toBe(out);
    expect(existsSync(`${out}.tmp`)).toBe(false);
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(pack.sha256);
    const dir = unzip(out);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.finding.id).toBe(f.id);
    expect(manifest.missing).toEqual([]);
    // Every file in the zip is in the manifest (but the manifest itself and its checksum list), and every hash holds.
    const inZip = execFileSync('zipinfo', ['-1', out], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(inZip.filter((p) => p !== 'manifest.json' && p !== 'manifest.sha256')).toEqual(manifest.files.map((m) => m.path).sort());
    for (const m of manifest.files) {
      const bytes = readFileSync(path.join(dir, m.path));
      expect(bytes.length).toBe(m.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(m.sha256);
    }
    const check = spawnSync('sha256sum', ['-c', '--strict', 'manifest.sha256'], { cwd: dir, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout.trim().split('\n')).toHaveLength(manifest.files.length + 1);
    // A file altered after the pack was made is caught.
    writeFileSync(path.join(dir, 'notices.json'), '[]\n');
    expect(spawnSync('sha256sum', ['-c', '--quiet', 'manifest.sha256'], { cwd: dir }).status).not.toBe(0);

    // The WARC reads back: request and response of the final URL, the page's bytes and headers.
    const records = await readWarc(path.join(dir, 'page.warc.gz'));
    expect(records.map((r) => r.type)).toEqual(['warcinfo', 'request', 'response', 'metadata']);
    const [, request, response] = records;
    expect(request!.uri).toBe(f.url);
    expect(request!.fields.get('warc-concurrent-to')).toBe(response!.fields.get('warc-record-id'));
    expect(request!.http!.get('user-agent')).toMatch(/^VigilCrawler/);
    expect(response!.status).toBe('200');
    expect(response!.body.toString('utf8')).toBe(E03_PAGE);
    expect(response!.fields.get('warc-payload-digest')).toBe(sha1Digest(Buffer.from(E03_PAGE)));
    expect(response!.http!.get('x-served-by')).toBe('pirate-edge-7');
    expect(response!.http!.get('x-archive-orig-content-encoding')).toBe('gzip');
    expect(response!.http!.get('content-encoding')).toBeUndefined();
    expect(new Date(response!.fields.get('warc-date')!).getTime()).toBeLessThanOrEqual(f.firstSeen.getTime());

    // Frames: each a PNG wider than tall (two frames side by side), at times inside the matched spans.
    const frames = readdirSync(path.join(dir, 'frames')).sort();
    expect(frames.length).toBeGreaterThanOrEqual(2);
    for (const png of frames) {
      const s = probe(path.join(dir, 'frames', png));
      expect(s.codec_name).toBe('png');
      expect(s.width).toBeGreaterThan(s.height);
    }
    // The distances are the finding's, and each pair shown is a near-duplicate by the same measure.
    const distances = JSON.parse(readFileSync(path.join(dir, 'distances.json'), 'utf8')) as { matchDistance: number; recorded: Record<string, unknown>; frames: { file: string; distance: number; leakTime: number; referenceTime: number }[] };
    const phase2 = f.evidence.phase2 as Record<string, unknown>;
    expect(distances.matchDistance).toBe(f.matchDistance);
    for (const k of ['distance', 'coverage', 'votes', 'offset', 'matchedTimes', 'matchedFrames', 'frameThreshold', 'reference']) expect(distances.recorded[k]).toEqual(phase2[k]);
    expect(distances.frames.map((p) => p.file.replace(/^frames\//, '')).sort()).toEqual(frames);
    const spans = phase2.matchedTimes as { from: number; to: number; referenceFrom: number }[];
    for (const p of distances.frames) {
      expect(spans.some((s) => p.leakTime >= s.from && p.leakTime <= s.to)).toBe(true);
      expect(p.distance).toBeLessThanOrEqual((phase2.frameThreshold as number) / 64 + 0.1);
    }
    expect(JSON.parse(readFileSync(path.join(dir, 'rechecks.json'), 'utf8'))).toEqual([{ check: 1, status: 200, verdict: 'still up' }]);
    expect(JSON.parse(readFileSync(path.join(dir, 'detection.json'), 'utf8'))).toEqual({ status: f.detectionStatus, result: null });
    const record = JSON.parse(readFileSync(path.join(dir, 'finding.json'), 'utf8')) as { finding: { id: number; url: string }; audit: { action: string }[] };
    expect(record.finding).toMatchObject({ id: f.id, url: f.url });
    expect(record.audit.map((a) => a.action)).toContain('finding-created');
  }, 60_000);

  it('still builds when the leak is gone (404), and its manifest says the frames could not be made and why', async () => {
    e04 = 'gone';
    const f = byPath('/watch/moonlit-harbor-s01e04');
    const out = path.join(work, 'e04.zip');
    const pack = await buildEvidencePack({ pool: services.db.pool, findingId: f.id, out, fetch, mediaRoot: work, software: 'Vigil test', sources: noSources });
    const dir = unzip(out);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.missing).toHaveLength(1);
    expect(manifest.missing[0]!.part).toBe('frames');
    expect(manifest.missing[0]!.why).toContain('HTTP 404');
    expect(manifest.missing[0]!.why).toContain('/media/e04.mp4');
    expect(pack.missing).toEqual(manifest.missing);
    expect(existsSync(path.join(dir, 'frames'))).toBe(false);
    expect(manifest.files.map((m) => m.path)).toEqual(['detection.json', 'distances.json', 'finding.json', 'notices.json', 'page.warc.gz', 'rechecks.json']);
    expect(spawnSync('sha256sum', ['-c', '--strict', '--quiet', 'manifest.sha256'], { cwd: dir }).status).toBe(0);
  }, 60_000);

  it('interrupted while the leak downloads, leaves neither FILE.zip nor FILE.zip.tmp', async () => {
    e04 = 'slow';
    const f = byPath('/watch/moonlit-harbor-s01e04');
    const out = path.join(work, 'stopped.zip');
    const controller = new AbortController();
    const slowFetch = createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()), signal: controller.signal });
    setTimeout(() => controller.abort(), 400);
    await expect(buildEvidencePack({ pool: services.db.pool, findingId: f.id, out, fetch: slowFetch, mediaRoot: work, software: 'Vigil test', sources: noSources, signal: controller.signal }))
      .rejects.toMatchObject({ code: 'VIGIL-E0310' });
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.tmp`)).toBe(false);
    e04 = 'serve';
  }, 30_000);

  it('stopped with Ctrl-C (SIGINT) while the leak downloads, vigil evidence leaves neither FILE.zip nor FILE.zip.tmp', async () => {
    e04 = 'slow';
    const f = byPath('/watch/moonlit-harbor-s01e04');
    const cwd = mkdtempSync(path.join(work, 'sigint-'));
    const env = { ...services.env, VIGIL_MEDIA_ROOT: work, VIGIL_CRAWL_RESOLVE: server.resolveEntries().join(','), VIGIL_CRAWL_ALLOW_PRIVATE: 'true' };
    const asked = server.log.filter((l) => l.path === '/media/e04.mp4').length;
    const run = startCliProcess(['evidence', String(f.id)], env, cwd, 90_000);
    // Interrupt once the download is under way (the leak answers only after 4 s).
    const deadline = Date.now() + 60_000;
    while (server.log.filter((l) => l.path === '/media/e04.mp4').length === asked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    run.child.kill('SIGINT');
    const done = await run.done;
    expect(done.code).not.toBe(0);
    expect(done.stderr).toContain('VIGIL-E0310');
    expect(readdirSync(cwd)).toEqual([]);
    e04 = 'serve';
  }, 120_000);

  it('names the finding that does not exist, and never replaces a pack that exists', async () => {
    await expect(buildEvidencePack({ pool: services.db.pool, findingId: 999_999, out: path.join(work, 'none.zip'), fetch, mediaRoot: work, software: 't', sources: noSources }))
      .rejects.toMatchObject({ code: 'VIGIL-E0209', message: expect.stringContaining('999999') });
    const existing = path.join(work, 'kept.zip');
    writeFileSync(existing, 'an earlier pack');
    await expect(buildEvidencePack({ pool: services.db.pool, findingId: findings[0]!.id, out: existing, fetch, mediaRoot: work, software: 't', sources: noSources }))
      .rejects.toMatchObject({ code: 'VIGIL-E0519' });
    expect(readFileSync(existing, 'utf8')).toBe('an earlier pack');
    await expect(buildEvidencePack({ pool: services.db.pool, findingId: findings[0]!.id, out: path.join(work, 'no-such-folder', 'p.zip'), fetch, mediaRoot: work, software: 't', sources: noSources }))
      .rejects.toMatchObject({ code: 'VIGIL-E0520' });
  });
});

describe('vigil evidence', () => {
  it('writes evidence-FINDING.zip in the working folder and prints what went in; a second run is refused until --force', async () => {
    // The leak is gone, so the run makes no frames (those are checked above) and says so.
    e04 = 'gone';
    const f = byPath('/watch/moonlit-harbor-s01e04');
    const cwd = mkdtempSync(path.join(work, 'cli-'));
    const env = { ...services.env, VIGIL_MEDIA_ROOT: work, VIGIL_CRAWL_RESOLVE: server.resolveEntries().join(',') };
    const first = await runCli(['evidence', String(f.id), '--allow-private'], env, cwd);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const file = path.join(cwd, `evidence-${f.id}.zip`);
    expect(first.stdout).toContain(file);
    expect(first.stdout).toMatch(/page\.warc\.gz {2}\d+ bytes/);
    expect(first.stdout).toMatch(/not in the pack: frames: the leaked media \S+ could not be fetched again: .*HTTP 404/);
    const again = await runCli(['evidence', String(f.id), '--allow-private'], env, cwd);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('VIGIL-E0519');
    expect(again.stderr).toContain(file);
    const forced = await runCli(['evidence', `#${f.id}`, '--allow-private', '--force', '--format', 'json'], env, cwd);
    expect(forced.code).toBe(0);
    expect((JSON.parse(forced.stdout) as { file: string }).file).toBe(file);
    const usage = await runCli(['evidence', 'latest'], env, cwd);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('VIGIL-E0104');
  }, 60_000);
});
