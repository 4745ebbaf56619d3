import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { articleTemplate, piracyTemplate, startFixtureServer, type FixtureServer } from './fixture-web.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../../catalog');
let work: string;
let server: FixtureServer;
let services: TestServices;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-scan-'));
  mkdirSync(path.join(work, 'catalog', 'media'), { recursive: true });
  const ff = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 });
  ff('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=5', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'catalog/media/orchard.mp4');
  ff('-i', 'catalog/media/orchard.mp4', '-vf', 'scale=200:112', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '35', 'leak.mp4');
  writeFileSync(path.join(work, 'catalog', 'catalog.yaml'), `apiVersion: vigil/v1
kind: Content
metadata: { id: orchard }
spec:
  type: film
  title: The Iron Orchard
  localizedTitles: [{ lang: fr, title: Le Verger de fer }]
  releaseDate: 2025-11-14
  referenceMedia: [{ path: media/orchard.mp4 }]
  keywords: { add: [{ term: OrchardRips, weight: 5 }], remove: [raw] }
---
apiVersion: vigil/v1
kind: Site
metadata: { id: official }
spec: { type: legitimate, category: official, domains: [orchard-films.example] }
`);
  server = await startFixtureServer();
  services = await openTestServices();
  server.route('pirate.example', '/', { body: piracyTemplate({ title: 'Films', body: '', links: [server.url('pirate.example', '/film/iron-orchard'), server.url('pirate.example', '/news')] }) });
  server.route('pirate.example', '/film/iron-orchard', { body: piracyTemplate({ title: 'Le Verger de fer (2025) streaming gratuit VF', body: 'Télécharger en 1080p', video: '/v.mp4' }) });
  server.route('pirate.example', '/v.mp4', { type: 'video/mp4', body: readFileSync(path.join(work, 'leak.mp4')) });
  server.route('pirate.example', '/news', { body: articleTemplate('The Iron Orchard review', 'Critics love it.') });
  server.route('orchard-films.example', '/', { body: piracyTemplate({ title: 'The Iron Orchard - watch free 1080p', body: 'stream free' }) });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('vigil keywords', () => {
  it('shows the weighted list of the example catalog content', async () => {
    const run = await runCli(['keywords', 'moonlit-harbor-s01', '--catalog', EXAMPLE], {}, work);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Keywords for moonlit-harbor-s01 \(\d+ terms\):/);
    expect(run.stdout).toMatch(/\+4 {2}ko {6}달빛 항구/);
    expect(run.stdout).toMatch(/\+2 {2}und {5}S01E03 {2}\(episode 3\)/);
    expect(run.stdout).toMatch(/-6 {2}und {5}netflix/);
  });

  it('applies the catalog adjustments and speaks JSON', async () => {
    const run = await runCli(['keywords', 'orchard', '--format', 'json'], {}, work);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { terms: { term: string; weight: number; kind: string }[] };
    expect(out.terms).toContainEqual({ term: 'OrchardRips', weight: 5, kind: 'custom', lang: 'und' });
    expect(out.terms.some((t) => t.term === 'raw')).toBe(false);
  });

  it('names an unknown content', async () => {
    const run = await runCli(['keywords', 'nope'], {}, work);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no Content with id "nope".*orchard/);
  });
});

describe('vigil scan', () => {
  it('runs a round from seeds and prints the findings', async () => {
    const args = ['scan', '--content', 'orchard', '--seed', server.url('pirate.example', '/'), '--seed', server.url('orchard-films.example', '/'),
      ...server.resolveEntries().flatMap((e) => ['--resolve', e]), '--allow-private', '--format', 'json'];
    const run = await runCli(args, services.env, work);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { findings: { url: string; distance: number }[]; allowListedPages: number; suspects: unknown[] };
    expect(out.findings.map((f) => f.url)).toEqual([server.url('pirate.example', '/film/iron-orchard')]);
    expect(out.findings[0]!.distance).toBeLessThan(0.18);
    expect(out.allowListedPages).toBe(1);
    const text = await runCli(args.slice(0, -2), services.env, work);
    expect(text.stdout).toMatch(/1 finding\(s\)/);
    expect(text.stdout).toMatch(/finding seen {2}http:\/\/pirate\.example:\d+\/film\/iron-orchard/);
  });

  it('refuses loopback addresses without --allow-private', async () => {
    const run = await runCli(['scan', '--content', 'orchard', '--seed', server.url('pirate.example', '/'), ...server.resolveEntries().flatMap((e) => ['--resolve', e])], services.env, work);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Scanned 0 page\(s\)/);
    expect(run.stderr).toMatch(/refused to fetch http:\/\/pirate\.example:\d+\/: pirate\.example is 127\.0\.0\.1/);
  });

  it('checks its options', async () => {
    expect((await runCli(['scan'], {}, work)).stderr).toMatch(/--content ID is required/);
    expect((await runCli(['scan', '--content', 'orchard', '--resolve', 'x'], services.env, work)).stderr).toMatch(/HOST:PORT:ADDR/);
    expect((await runCli(['scan', '--content', 'orchard', '--seed', 'ftp://x'], {}, work)).stderr).toMatch(/not an http\(s\) URL/);
  });
});
