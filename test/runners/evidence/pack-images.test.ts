import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogDocument, ContentSpec, SiteSpec } from '../../../core/catalog/types.js';
import { queryFindings, type Finding } from '../../../core/db/findings.js';
import { buildEvidencePack, type EvidenceSources } from '../../../runners/evidence/pack.js';
import { createConfirmer, referenceFingerprints } from '../../../runners/monitor/confirm.js';
import { createFetcher, parseResolve, type Fetcher } from '../../../runners/monitor/fetch.js';
import { runRound } from '../../../runners/monitor/round.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from '../monitor/fixture-web.js';

/** The pack of a comic chapter found page by page: each matched page beside its reference page. */

const content: ContentSpec = { type: 'season', title: 'Lantern Alley', season: 1, episodes: 40, releaseDate: '2026-02-01', referenceMedia: [{ path: 'chapter-3', kind: 'images', episode: 3 }] };
const CONTENT_YAML = `apiVersion: vigil/v1
kind: Content
metadata:
  id: lantern
spec:
  type: season
  title: Lantern Alley
  season: 1
  episodes: 40
  releaseDate: 2026-02-01
  referenceMedia:
    - path: chapter-3
      kind: images
      episode: 3
`;
const PAGES = ['mandelbrot', 'testsrc2', 'sierpinski=seed=3'];
const none: EvidenceSources = { notices: () => Promise.resolve([]), linkChecks: () => Promise.resolve([]) };

let server: FixtureServer;
let services: TestServices;
let work: string;
let fetch: Fetcher;
let finding: Finding;

const ffmpeg = (...args: string[]): void => { execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 }); };
function siteDoc(id: string, spec: SiteSpec): CatalogDocument<'Site'> {
  return { apiVersion: 'vigil/v1', kind: 'Site', metadata: { id }, spec, source: { file: 'sites.yaml', index: 0, position: { line: 1, col: 1 }, locate: () => ({ line: 1, col: 1 }) } };
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-evidence-comic-'));
  mkdirSync(path.join(work, 'chapter-3'));
  PAGES.forEach((source, i) => {
    const eq = source.indexOf('=');
    const lavfi = eq < 0 ? `${source}=size=600x900` : `${source.slice(0, eq)}=size=600x900:${source.slice(eq + 1)}`;
    ffmpeg('-f', 'lavfi', '-i', lavfi, '-ss', '2', '-frames:v', '1', `chapter-3/0${i + 1}.png`);
    // The leak: cropped, scaled, JPEG at about quality 50.
    ffmpeg('-i', `chapter-3/0${i + 1}.png`, '-vf', 'crop=iw*0.94:ih*0.94,scale=420:-2', '-q:v', '8', `leak-${i + 1}.jpg`);
  });
  server = await startFixtureServer();
  services = await openTestServices();
  await applyCatalog(services.db.pool, CONTENT_YAML);
  const u = (p: string): string => server.url('mangafree.to', p);
  PAGES.forEach((_, i) => server.route('mangafree.to', `/img/leak-${i + 1}.jpg`, { type: 'image/jpeg', body: readFileSync(path.join(work, `leak-${i + 1}.jpg`)) }));
  server.route('mangafree.to', '/latest', { body: piracyTemplate({ title: 'Latest chapters', body: 'New today', links: [u('/read/lantern-alley-3')] }) });
  // Pages out of order: page 1 of the leak is reference page 2.
  server.route('mangafree.to', '/read/lantern-alley-3', { body: piracyTemplate({ title: 'Lantern Alley Chapter 3 read online free raw', body: `Read online free, raw scans. ${['/img/leak-2.jpg', '/img/leak-1.jpg', '/img/leak-3.jpg'].map((s) => `<img src="${s}" alt="page">`).join('')}` }) });
  fetch = createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) });
  const r = await runRound({
    contentId: 'lantern', content, fetch, web: { perHostDelayMs: 0 }, db: services.db.pool,
    sites: [siteDoc('mangafree', { type: 'piracy', category: 'comics', domains: ['mangafree.to'], sources: [{ type: 'web', url: u('/latest'), depth: 1 }] })],
    confirm: createConfirmer({ fetch, references: await referenceFingerprints(content, work) }),
  });
  expect(r.findings).toHaveLength(1);
  finding = (await queryFindings(services.db.pool, { contentId: 'lantern' }))[0]!;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the evidence pack of an image set', () => {
  it('puts each matched page beside the reference page it matched, with the recorded page distances', async () => {
    const out = path.join(work, 'comic.zip');
    const pack = await buildEvidencePack({ pool: services.db.pool, findingId: finding.id, out, fetch, mediaRoot: work, software: 't', sources: none });
    expect(pack.missing).toEqual([]);
    const dir = mkdtempSync(path.join(work, 'unzipped-'));
    execFileSync('unzip', ['-q', out, '-d', dir]);
    expect(spawnSync('sha256sum', ['-c', '--strict', '--quiet', 'manifest.sha256'], { cwd: dir }).status).toBe(0);
    const matched = (finding.evidence.phase2 as { matchedPages: { page: number; reference: { page: number }; distance: number }[] }).matchedPages;
    expect(matched.length).toBeGreaterThanOrEqual(2);
    const distances = JSON.parse(readFileSync(path.join(dir, 'distances.json'), 'utf8')) as { recorded: { matchedPages: unknown }; frames: { file: string; page: number; referencePage: number; distance: number }[] };
    expect(distances.recorded.matchedPages).toEqual(matched);
    expect(distances.frames.map((f) => [f.page, f.referencePage])).toEqual(matched.map((m) => [m.page, m.reference.page]));
    // The leak's first page is the chapter's second: the pack shows the pair phase 2 found, not pages by position.
    expect(distances.frames.find((f) => f.page === 1)?.referencePage).toBe(2);
    for (const f of distances.frames) expect(f.distance).toBeLessThanOrEqual(0.25);
    const pngs = readdirSync(path.join(dir, 'frames'));
    expect(pngs.sort()).toEqual(distances.frames.map((f) => f.file.replace(/^frames\//, '')).sort());
    for (const png of pngs) {
      const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', path.join(dir, 'frames', png)], { encoding: 'utf8' });
      const s = (JSON.parse(probe.stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams[0]!;
      expect(s.codec_name).toBe('png');
      // Two portrait pages side by side, at one height, under a label band.
      expect(s.height).toBe(360 + 44);
    }
  }, 60_000);

  it('says, page by page, when the reference pages are not on this machine', async () => {
    const elsewhere = mkdtempSync(path.join(work, 'empty-root-'));
    const pack = await buildEvidencePack({ pool: services.db.pool, findingId: finding.id, out: path.join(work, 'no-ref.zip'), fetch, mediaRoot: elsewhere, software: 't', sources: none });
    expect(pack.frames).toEqual([]);
    expect(pack.missing.map((m) => m.part)).toEqual(matchedParts());
    for (const m of pack.missing) expect(m.why).toContain(`is not under the media root ${elsewhere}`);
  }, 30_000);
});

function matchedParts(): string[] {
  return (finding.evidence.phase2 as { matchedPages: { page: number }[] }).matchedPages.map((p) => `frames: page ${p.page}`);
}
