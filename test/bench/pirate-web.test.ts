import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../core/catalog/types.js';
import { loadCatalogDir } from '../../core/catalog/load.js';
import { generateCorpus } from '../../bench/pirate-web/generate.js';
import { CONTENT_IDS, IMAGE_MEDIA, PAGE_KINDS, VIDEO_MEDIA, type ContentId, type Corpus } from '../../bench/pirate-web/labels.js';
import { bencode } from '../../bench/pirate-web/torrent.js';
import { disguise, DISGUISES } from '../../bench/pirate-web/text.js';

/** The pirate-web corpus generator is well formed: labelled, varied, deterministic. No crawling. */

let contents: Record<ContentId, ContentSpec>;
let corpus: Corpus;
const origin = (host: string) => `http://${host}:8080`;

beforeAll(async () => {
  const { catalog } = await loadCatalogDir('catalog');
  contents = Object.fromEntries(CONTENT_IDS.map((id) => [id, catalog.byKind.Content.get(id)!.spec])) as Record<ContentId, ContentSpec>;
  corpus = generateCorpus({ origin, contents });
});

const routeUrl = (r: Corpus['routes'][number]) => `${origin(r.host)}${r.path}`;

describe('the pirate-web corpus', () => {
  it('is the same for the same seed and differs for another', () => {
    const again = generateCorpus({ origin, contents });
    expect(JSON.stringify(again)).toBe(JSON.stringify(corpus));
    const other = generateCorpus({ origin, contents, seed: 99 });
    expect(JSON.stringify(other.pages.map((p) => p.url))).not.toBe(JSON.stringify(corpus.pages.map((p) => p.url)));
  });

  it('labels every HTML page served after the move, and serves every labelled page', () => {
    const served = new Map<string, Corpus['routes'][number]>();
    for (const r of corpus.routes) if (r.epoch !== 'before') served.set(routeUrl(r), r);
    const labelled = new Set(corpus.pages.map((p) => p.url));
    const html = [...served.values()].filter((r) => r.body.kind === 'text' && r.body.type.startsWith('text/html'));
    expect(html.filter((r) => !labelled.has(routeUrl(r))).map(routeUrl)).toEqual([]);
    expect(corpus.pages.filter((p) => !served.has(p.url)).map((p) => p.url)).toEqual([]);
    expect(new Set(corpus.pages.map((p) => p.url)).size).toBe(corpus.pages.length);
  });

  it('gives every page kind leaks and decoys in at least three markup families, in several languages', () => {
    for (const kind of PAGE_KINDS) {
      const of = (role: string) => corpus.pages.filter((p) => p.label.role === role && 'kind' in p.label && p.label.kind === kind);
      const leaks = of('leak');
      const decoys = of('decoy');
      const families = new Set(leaks.map((p) => (p.label as { family: string }).family));
      expect(leaks.length, kind).toBeGreaterThanOrEqual(12);
      expect(decoys.length, kind).toBeGreaterThanOrEqual(4);
      expect(families.size, kind).toBeGreaterThanOrEqual(3);
      // A decoy looks like a leak: it is made in a family the kind's leaks use.
      for (const d of decoys) expect(families.has((d.label as { family: string }).family), d.url).toBe(true);
      expect(leaks.every((p) => p.variant), kind).toBe(true);
      const content = kind === 'comic' ? 'star-courier-webtoon' : 'moonlit-harbor-s01';
      expect([...leaks, ...decoys].every((p) => 'content' in p.label && p.label.content === content), kind).toBe(true);
    }
    const langs = new Set(corpus.pages.flatMap((p) => ('lang' in p.label ? [p.label.lang] : [])));
    expect([...langs].sort()).toEqual(['ar', 'en', 'es', 'ja', 'ko', 'pt', 'vi']);
  });

  it('carries only known media, decoys only another title’s, and has soft 404s and official pages', () => {
    const known = new Set<string>([...VIDEO_MEDIA, ...IMAGE_MEDIA]);
    for (const r of corpus.routes) if (r.body.kind === 'media') expect(known.has(r.body.media), r.path).toBe(true);
    const bodyOf = (url: string) => { const r = corpus.routes.find((x) => routeUrl(x) === url)!; return r.body.kind === 'text' ? r.body.text : ''; };
    const mediaOf = (url: string) => corpus.routes.filter((r) => r.body.kind === 'media' && bodyOf(url).includes(routeUrl(r))).map((r) => (r.body as { media: string }).media);
    for (const p of corpus.pages.filter((x) => x.label.role === 'decoy' && 'kind' in x.label && ['stream', 'hls', 'misspelled', 'comic'].includes(x.label.kind))) {
      const media = mediaOf(p.url);
      if (media.length > 0) expect(media.every((m) => m.startsWith('other') || m.startsWith('oc-')), p.url).toBe(true);
    }
    expect(corpus.pages.filter((p) => p.label.role === 'soft-404').length).toBeGreaterThanOrEqual(3);
    expect(corpus.pages.filter((p) => p.label.role === 'official').length).toBeGreaterThanOrEqual(3);
    const official = corpus.sites.filter((s) => s.spec.type === 'legitimate').flatMap((s) => s.spec.domains);
    for (const p of corpus.pages.filter((x) => x.label.role === 'official')) expect(official.some((d) => new URL(p.url).hostname.endsWith(d))).toBe(true);
  });

  it('serves each torrent page’s .torrent, whose infohash its magnet carries', () => {
    const torrents = corpus.pages.filter((p) => 'kind' in p.label && p.label.kind === 'torrent');
    for (const p of torrents) {
      const [file, magnet] = p.aliases;
      const route = corpus.routes.find((r) => routeUrl(r) === file)!;
      expect(route.body.kind).toBe('bytes');
      const bytes = (route.body as { bytes: Buffer }).bytes;
      const info = bytes.subarray(bytes.indexOf('4:infod') + 6, bytes.length - 1);
      expect(magnet).toContain(`xt=urn:btih:${createHash('sha1').update(info).digest('hex')}`);
      const names = info.toString('latin1');
      if (p.label.role === 'leak') expect(names).toContain('Moonlit.Harbor.S01E');
    }
    expect(bencode({ b: 1, a: ['x', Buffer.from('yz')] }).toString()).toBe('d1:al1:x2:yze1:bi1ee');
  });

  it('moves three sites without a redirect: the old domain only before, the new one only mentioned after', () => {
    expect(corpus.hops.map((h) => h.how).sort()).toEqual(['forum link', 'link-list link', 'plain-text mention']);
    for (const h of corpus.hops) {
      expect(corpus.routes.some((r) => r.host === h.from && r.epoch === 'before')).toBe(true);
      expect(corpus.routes.some((r) => r.host === h.from && r.epoch !== 'before')).toBe(false);
      expect(corpus.routes.some((r) => r.host === h.to && r.status && r.status >= 300 && r.status < 400)).toBe(false);
      const mentions = corpus.routes.filter((r) => r.host !== h.to && r.body.kind === 'text' && r.body.text.includes(h.to));
      expect(mentions.length, h.to).toBeGreaterThan(0);
      expect(corpus.pages.some((p) => p.onHop === h.to && p.label.role === 'leak')).toBe(true);
    }
  });

  it('bends the title in every disguise while keeping it for a reader', () => {
    const bent = DISGUISES.map((d) => disguise('Moonlit Harbor', d, 'Dalbit Hanggu'));
    expect(bent).toContain('Ｍｏｏｎｌｉｔ\u3000Ｈａｒｂｏｒ');
    expect(bent.filter((b) => b !== 'Moonlit Harbor').length).toBe(7);
    expect(disguise('Moonlit Harbor', 'zero-width')).toMatch(/\u200b/);
  });
});
