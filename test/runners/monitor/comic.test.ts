import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { createConfirmer, referenceFingerprints } from '../../../runners/monitor/confirm.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { runRound, type RoundInput } from '../../../runners/monitor/round.js';
import { siteDoc } from './families.test.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from './fixture-web.js';

const content: ContentSpec = {
  type: 'season', title: 'Lantern Alley', season: 1, episodes: 40, releaseDate: '2026-02-01',
  referenceMedia: [{ path: 'chapter-3', kind: 'images', episode: 3 }],
};

/** Reference pages of chapter 3 (distinct, deterministic lavfi pictures, portrait), and a page of another comic. */
const PAGES = ['mandelbrot', 'testsrc2', 'sierpinski=seed=3', 'life=seed=11:mold=10'];
const OTHER_COMIC = 'cellauto=rule=30:seed=5';

let server: FixtureServer;
let work: string;
let input: RoundInput;

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 });
}

/** A lavfi source 2 s in, as one 600x900 picture. */
function page(source: string, out: string): void {
  const eq = source.indexOf('=');
  const lavfi = eq < 0 ? `${source}=size=600x900` : `${source.slice(0, eq)}=size=600x900:${source.slice(eq + 1)}`;
  ffmpeg('-f', 'lavfi', '-i', lavfi, '-ss', '2', '-frames:v', '1', out);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-comic-'));
  mkdirSync(path.join(work, 'chapter-3'));
  PAGES.forEach((s, i) => page(s, `chapter-3/${String(i + 1).padStart(2, '0')}.png`));
  page(OTHER_COMIC, 'other.png');
  // The leak: each page cropped 6 %, scaled to 420 px wide, JPEG at about quality 50 (ffmpeg -q:v 8).
  PAGES.forEach((_, i) => ffmpeg('-i', `chapter-3/0${i + 1}.png`, '-vf', 'crop=iw*0.94:ih*0.94,scale=420:-2', '-q:v', '8', `leak-${i + 1}.jpg`));
  ffmpeg('-i', 'other.png', '-vf', 'scale=420:-2', '-q:v', '8', 'other.jpg');
  // Strips: pages 3 and 4 stacked into one long image (the leak), and another comic's page stacked twice (the decoy).
  ffmpeg('-i', 'chapter-3/03.png', '-i', 'chapter-3/04.png', '-filter_complex', '[0][1]vstack=inputs=2,crop=iw*0.97:ih*0.99,scale=420:-2', '-q:v', '8', 'strip.jpg');
  ffmpeg('-i', 'other.png', '-i', 'other.png', '-filter_complex', '[0][1]vstack=inputs=2,scale=420:-2', '-q:v', '8', 'other-strip.jpg');

  server = await startFixtureServer();
  const u = (p: string) => server.url('mangafree.to', p);
  const img = (name: string) => ({ type: 'image/jpeg', body: readFileSync(path.join(work, name)) });
  const chapterPage = (title: string, images: string[]) => piracyTemplate({ title, body: `Read online free, raw scans. ${images.map((s) => `<img src="${s}" alt="page">`).join('')}` });
  PAGES.forEach((_, i) => server.route('mangafree.to', `/img/leak-${i + 1}.jpg`, img(`leak-${i + 1}.jpg`)));
  server.route('mangafree.to', '/img/other.jpg', img('other.jpg'));
  server.route('mangafree.to', '/img/strip.jpg', img('strip.jpg'));
  server.route('mangafree.to', '/img/other-strip.jpg', img('other-strip.jpg'));
  server.route('mangafree.to', '/read/lantern-alley-8', { body: chapterPage('Lantern Alley Chapter 8 read online free raw', ['/img/strip.jpg']) });
  server.route('mangafree.to', '/read/lantern-alley-9', { body: chapterPage('Lantern Alley Chapter 9 read online free raw', ['/img/other-strip.jpg']) });
  server.route('mangafree.to', '/img/logo.png', { type: 'image/png', body: readFileSync(path.join(work, 'chapter-3/01.png')).subarray(0, 0) });
  server.route('mangafree.to', '/latest', { body: piracyTemplate({ title: 'Latest chapters', body: 'New today', links: [u('/read/lantern-alley-3'), u('/read/lantern-alley-4'), u('/read/lantern-alley-5'), u('/read/lantern-alley-6'), u('/read/lantern-alley-7'), u('/read/lantern-alley-8'), u('/read/lantern-alley-9')] }) });
  // The leaked chapter, pages in another order and with a broken image among them.
  server.route('mangafree.to', '/read/lantern-alley-3', { body: chapterPage('Lantern Alley Chapter 3 read online free raw', ['/img/leak-2.jpg', '/img/leak-1.jpg', '/img/logo.png', '/img/leak-3.jpg', '/img/leak-4.jpg']) });
  // Another comic under the title: one page, which must not match any reference page.
  server.route('mangafree.to', '/read/lantern-alley-4', { body: chapterPage('Lantern Alley Chapter 4 read online free raw', ['/img/other.jpg']) });
  // A MangaReader-theme chapter: the pages are only in the reader's script, none in the markup; its decoy lists another comic's page.
  const readerPage = (title: string, images: string[]) => piracyTemplate({ title, body: `Read online free, raw scans. <script>ts_reader.run({"prevUrl":"","mode":"full","sources":[{"source":"Server 1","images":${JSON.stringify(images.map(u)).replace(/\//g, '\\/')}}],"lazyload":true});</script><noscript>Enable JavaScript to read.</noscript>` });
  server.route('mangafree.to', '/read/lantern-alley-6', { body: readerPage('Lantern Alley Chapter 6 read online free raw', ['/img/leak-1.jpg', '/img/leak-2.jpg']) });
  server.route('mangafree.to', '/read/lantern-alley-7', { body: readerPage('Lantern Alley Chapter 7 read online free raw', ['/img/other.jpg']) });
  // A single leaked page is enough on its own (the native rule for one-image sets).
  server.route('mangafree.to', '/read/lantern-alley-5', { body: chapterPage('Lantern Alley Chapter 5 read online free raw', ['/img/leak-3.jpg']) });

  const fetch = createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) });
  input = {
    contentId: 'lantern', content, fetch, web: { perHostDelayMs: 0 },
    sites: [siteDoc('mangafree', { type: 'piracy', category: 'comics', domains: ['mangafree.to'], sources: [{ type: 'web', url: u('/latest'), depth: 1 }] })],
    confirm: createConfirmer({ fetch, references: await referenceFingerprints(content, work) }),
  };
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a comic (image set) round', () => {
  it('finds a re-encoded, cropped, scaled chapter page by page, and rejects a page of another comic', async () => {
    const r = await runRound(input);
    const byPath = (p: string) => r.suspects.find((s) => new URL(s.url).pathname === p);
    expect(byPath('/read/lantern-alley-3')).toMatchObject({ verdict: 'match' });
    expect(byPath('/read/lantern-alley-5')).toMatchObject({ verdict: 'match' });
    expect(byPath('/read/lantern-alley-4')).toMatchObject({ verdict: 'no-match' });
    expect(byPath('/read/lantern-alley-6')).toMatchObject({ verdict: 'match' });
    expect(byPath('/read/lantern-alley-7')).toMatchObject({ verdict: 'no-match' });
    expect(byPath('/read/lantern-alley-9')).toMatchObject({ verdict: 'no-match' });
    expect(r.findings.map((f) => new URL(f.url).pathname).sort()).toEqual(['/read/lantern-alley-3', '/read/lantern-alley-5', '/read/lantern-alley-6', '/read/lantern-alley-8']);
    // The strip is cut into its two pages, each matched to its own reference page.
    const strip = r.findings.find((f) => f.url.endsWith('/read/lantern-alley-8'))!.evidence.phase2 as { matchedPages: { page: number; region?: number; reference: { page: number } }[] };
    expect(strip.matchedPages.map((p) => [p.page, p.region, p.reference.page])).toEqual([[1, 1, 3], [1, 2, 4]]);

    const chapter = r.findings.find((f) => f.url.endsWith('/read/lantern-alley-3'))!;
    const evidence = chapter.evidence.phase2 as { kind: string; fingerprinter: string; checkedPages: number; matchedPages: { page: number; reference: { media: string; page: number }; distance: number }[] };
    expect(evidence.kind).toBe('images');
    expect(evidence.fingerprinter).toMatch(/^vigil-native-fp\//);
    // Page 3 of the suspect is the broken image: not evidence either way.
    expect(evidence.checkedPages).toBe(4);
    expect(evidence.matchedPages.map((p) => [p.page, p.reference.page])).toEqual([[1, 2], [2, 1], [4, 3], [5, 4]]);
    expect(evidence.matchedPages.every((p) => p.reference.media === 'chapter-3' && p.distance <= 10 / 64)).toBe(true);
    expect(chapter.distance).toBeLessThan(0.16);
  });
});
