import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CatalogDocument, SiteSpec } from '../../../core/catalog/types.js';
import { detectHop, isAllowListed, jaccard, mentionedHopHosts, nameRelation, siteDirectory, siteOfHost, type HostProfile } from '../../../runners/monitor/families.js';
import { parseHtml } from '../../../runners/monitor/html.js';
import { normalizeUrl } from '../../../core/url.js';
import { registrableDomain } from '../../../runners/monitor/url.js';
import { articleTemplate, piracyTemplate } from './fixture-web.js';

export function siteDoc(id: string, spec: SiteSpec): CatalogDocument<'Site'> {
  return {
    apiVersion: 'vigil/v1', kind: 'Site', metadata: { id }, spec,
    source: { file: 'sites.yaml', index: 0, position: { line: 1, col: 1 }, locate: () => ({ line: 1, col: 1 }) },
  };
}

const dir = siteDirectory([
  siteDoc('streamfree', { type: 'piracy', family: 'streamfree-family', domains: ['streamfree.to'] }),
  siteDoc('site123', { type: 'piracy', domains: ['site123.example'] }),
  siteDoc('official', { type: 'legitimate', category: 'official', domains: ['harborpictures.example'] }),
]);

function profile(host: string, html: string, faviconHash?: string): HostProfile {
  const f = parseHtml(html, `https://${host}/`);
  return { host, trackingIds: f.trackingIds, structure: f.structure, ...(faviconHash ? { faviconHash } : {}) };
}

describe('URL normalization', () => {
  it('makes one key of the forms a link takes', () => {
    const key = 'streamfree.to/watch/moonlit-harbor?ep=3&q=1';
    for (const u of [
      'https://www.streamfree.to/watch/moonlit-harbor/?q=1&ep=3&utm_source=x#player',
      'http://STREAMFREE.to:80/watch//moonlit-harbor?ep=3&q=1&fbclid=abc',
      'https://streamfree.to/watch/%6Doonlit-harbor?ep=3&q=1',
    ]) expect(normalizeUrl(u), u).toBe(key);
    expect(normalizeUrl('https://streamfree.to/index.html')).toBe('streamfree.to');
    expect(normalizeUrl('https://streamfree.to:8443/a')).toBe('streamfree.to:8443/a');
    expect(normalizeUrl('https://들.EXAMPLE/a')).toBe(`${domainToASCII('들.example')}/a`);
    expect(normalizeUrl('https://들.example/a')).toMatch(/^xn--/);
  });

  it('finds the registered domain', () => {
    expect(registrableDomain('watch.name.co.uk')).toBe('name.co.uk');
    expect(registrableDomain('a.b.streamfree.to')).toBe('streamfree.to');
  });
});

describe('site families', () => {
  it('maps hosts and subdomains to their site; the allow-list is the legitimate sites', () => {
    expect(siteOfHost(dir, 'cdn.streamfree.to')?.id).toBe('streamfree');
    expect(siteOfHost(dir, 'streamfree.to')?.family).toBe('streamfree-family');
    expect(siteOfHost(dir, 'site123.example')?.family).toBe('site123');
    expect(isAllowListed(dir, 'watch.harborpictures.example')).toBe(true);
    expect(isAllowListed(dir, 'harborpictures.example.evil.to')).toBe(false);
  });

  it('probes the hosts a page links to when it names a dead site, whatever their new name', () => {
    const forum = {
      url: 'https://forum.example/threads/status.12/', title: 'Streaming sites status',
      text: 'StreamFree is down again, they moved to freestream.net (same uploads).',
      links: ['https://forum.example/threads/', 'https://freestream.net/', 'https://harborpictures.example/', 'https://streamfree.to/'],
    };
    const other = { url: 'https://blog.example/a', title: 'Links', text: 'Good sites this week', links: ['https://unrelated.example/'] };
    // Nothing relates freestream.net to streamfree.to by name: only the dead site being named does.
    expect(mentionedHopHosts(dir, [forum, other], ['streamfree.to'])).toEqual([]);
    expect(mentionedHopHosts(dir, [forum, other], ['streamfree.to'], ['streamfree'])).toEqual([
      { host: 'freestream.net', seeds: ['https://freestream.net/'], via: forum.url },
    ]);
    // A dead site's name inside another word is not it being named.
    expect(mentionedHopHosts(dir, [{ ...forum, text: 'streamfreebies are down, see freestream.net' }], ['streamfree.to'], ['streamfree'])).toEqual([]);
  });

  it('relates numbered and re-TLD names, not look-alikes', () => {
    expect(nameRelation('site123.example', 'site124.example')).toBe('numbered');
    expect(nameRelation('streamfree.to', 'streamfree.se')).toBe('re-tld');
    expect(nameRelation('streamfree.to', 'streamfree2.to')).toBe('numbered');
    expect(nameRelation('streamfree.to', 'streamfreedom.to')).toBeUndefined();
    expect(nameRelation('streamfree.to', 'cdn.streamfree.to')).toBeUndefined();
  });

  it('measures template similarity with Jaccard over tag-path shingles', () => {
    const a = profile('a', piracyTemplate({ title: 'x', body: 'one', links: ['/1', '/2'] }));
    const b = profile('b', piracyTemplate({ title: 'y', body: 'two', links: ['/3', '/4', '/5'] }));
    const news = profile('c', articleTemplate('Moonlit Harbor review', 'text'));
    expect(jaccard(a.structure, b.structure)).toBeGreaterThan(0.7);
    expect(jaccard(a.structure, news.structure)).toBeLessThan(0.2);
    expect(jaccard([1, 2, 3], [2, 3, 4])).toBe(0.5);
  });

  it('links a hop by redirect alone', () => {
    const hop = detectHop(dir, { candidate: { host: 'streamfree.cc', trackingIds: [], structure: [] }, redirectsFrom: [{ host: 'streamfree.to', status: 301 }] }, []);
    expect(hop).toMatchObject({ host: 'streamfree.cc', via: 'streamfree.to', site: { id: 'streamfree', family: 'streamfree-family' } });
    expect(hop!.signals.map((s) => s.kind)).toEqual(['redirect', 'name']);
  });

  it('links a hop by a shared analytics or ad account alone', () => {
    const known = profile('streamfree.to', piracyTemplate({ title: 'a', body: '', trackingId: 'G-AAAA1111' }));
    const other = profile('totally-new.example', articleTemplate('x', `<script>gtag('config','G-AAAA1111')</script>`));
    const hop = detectHop(dir, { candidate: other, redirectsFrom: [] }, [known]);
    expect(hop?.signals.map((s) => s.kind)).toContain('tracking-id');
  });

  it('needs two weaker signals: a numbered name and the same template', () => {
    const known = profile('site123.example', piracyTemplate({ title: 'a', body: '', trackingId: 'G-K1' }), 'f1');
    const sameTemplate = profile('site124.example', piracyTemplate({ title: 'b', body: 'x', trackingId: 'G-K2' }));
    expect(detectHop(dir, { candidate: sameTemplate, redirectsFrom: [] }, [known])?.signals.map((s) => s.kind)).toEqual(['structure', 'name']);
    const nameOnly = profile('site124.example', articleTemplate('t', 'b'));
    expect(detectHop(dir, { candidate: nameOnly, redirectsFrom: [] }, [known])).toBeUndefined();
    const faviconAndTemplate = profile('unrelated.example', piracyTemplate({ title: 'b', body: 'x' }), 'f1');
    expect(detectHop(dir, { candidate: faviconAndTemplate, redirectsFrom: [] }, [known])?.signals.map((s) => s.kind)).toEqual(['favicon', 'structure']);
  });

  it('never links an allow-listed host, whatever the signals', () => {
    const known = profile('streamfree.to', piracyTemplate({ title: 'a', body: '', trackingId: 'G-AAAA1111' }));
    const official = { ...profile('watch.harborpictures.example', piracyTemplate({ title: 'a', body: '', trackingId: 'G-AAAA1111' })) };
    expect(detectHop(dir, { candidate: official, redirectsFrom: [{ host: 'streamfree.to', status: 302 }] }, [known])).toBeUndefined();
  });
});
