import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { isVigilError } from '../../../core/errors.js';
import { browserFallback, browserSettings, launchRenderer, type BrowserFallback } from '../../../runners/monitor/browser.js';
import { createConfirmer, referenceFingerprints, type References } from '../../../runners/monitor/confirm.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { runRound, type RoundInput } from '../../../runners/monitor/round.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { siteDoc } from './families.test.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from './fixture-web.js';

const CHROMIUM = '/usr/bin/chromium';
let playwright = true;
try { await import('playwright-core'); } catch { playwright = false; }
const why = !existsSync(CHROMIUM) ? `skipped: no Chromium at ${CHROMIUM}` : !playwright ? 'skipped: playwright-core is not installed' : '';

const content: ContentSpec = {
  type: 'season', title: 'Moonlit Harbor', season: 1, episodes: 10, releaseDate: '2026-03-06', watermarked: true,
  referenceMedia: [{ path: 'ref.mp4', kind: 'video', episode: 3 }],
};

let server: FixtureServer;
let services: TestServices;
let work: string;
let references: References;
let input: RoundInput;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-browser-'));
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 });
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ref.mp4');
  ffmpeg('-i', 'ref.mp4', '-vf', 'scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '34', 'leak.mp4');
  references = await referenceFingerprints(content, work);
  server = await startFixtureServer();
  services = await openTestServices();
  // The player's address comes from an API call made by the script and is assembled at run time:
  // nothing in the markup or the script text names it.
  server.route('watchasian.to', '/watch/moonlit-harbor-3', { body: piracyTemplate({ title: 'Moonlit Harbor Episode 3 Eng Sub watch free', body: 'HD 1080p' }).replace('</body>',
    `<video id="p" muted></video><script>fetch('/api/v2/source?e=' + (40 + 2)).then(function (r) { return r.json(); }).then(function (j) {
      document.getElementById('p').src = j.h + '/' + j.p.join('/'); document.getElementById('p').play().catch(function () {}); });</script></body>`) });
  server.route('watchasian.to', '/api/v2/source', { type: 'application/json', body: JSON.stringify({ h: server.url('cdn.watchasian.to', '').replace(/\/$/, ''), p: ['v', 'e42', 'stream'] }) });
  server.route('cdn.watchasian.to', '/v/e42/stream', { type: 'video/mp4', body: readFileSync(path.join(work, 'leak.mp4')) });
  server.route('watchasian.to', '/favicon.ico', { type: 'image/x-icon', body: Buffer.from('i') });
  input = {
    contentId: 'moonlit-browser', content,
    sites: [siteDoc('watchasian', { type: 'piracy', domains: ['watchasian.to'], sources: [{ type: 'web', url: server.url('watchasian.to', '/watch/moonlit-harbor-3'), depth: 0 }] })],
    fetch: createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) }),
    web: { perHostDelayMs: 0 },
    db: services.db.pool,
  };
}, 120_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the headless-browser fallback', () => {
  it('is off unless VIGIL_MONITOR_BROWSER=1, and refuses a page budget that is not a number', () => {
    expect(browserSettings({})).toMatchObject({ enabled: false, pages: 10 });
    expect(browserSettings({ VIGIL_MONITOR_BROWSER: '1', VIGIL_MONITOR_BROWSER_PAGES: '3' })).toMatchObject({ enabled: true, pages: 3 });
    expect(browserFallback(input.fetch, {})).toBeUndefined();
    expect(() => browserSettings({ VIGIL_MONITOR_BROWSER_PAGES: 'lots' })).toThrow(/VIGIL-E0410|whole number/);
  });

  it('says why when Chromium cannot start', async () => {
    const error = await launchRenderer(input.fetch, { executablePath: path.join(work, 'no-such-chromium') }).then(() => undefined, (e: unknown) => e);
    expect(isVigilError(error, 'BROWSER_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('no-such-chromium');
  });

  it.skipIf(why !== '')(`confirms a player that only its scripts reveal, within the page budget ${why}`, async () => {
    const without = await runRound({ ...input, confirm: createConfirmer({ fetch: input.fetch, references }) });
    expect(without.findings).toEqual([]);
    expect(without.suspects[0]).toMatchObject({ verdict: 'unavailable' });

    const browser = browserFallback(input.fetch, { VIGIL_MONITOR_BROWSER: '1', VIGIL_MONITOR_BROWSER_PAGES: '1' }, { settleMs: 1000 }) as BrowserFallback;
    try {
      const r = await runRound({ ...input, confirm: createConfirmer({ fetch: input.fetch, references, browser }) });
      expect(r.findings.map((f) => new URL(f.url).pathname)).toEqual(['/watch/moonlit-harbor-3']);
      expect(r.findings[0]!.evidence.phase2).toMatchObject({ rendered: true, media: server.url('cdn.watchasian.to', '/v/e42/stream') });
      expect(browser.pagesLeft()).toBe(0);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
