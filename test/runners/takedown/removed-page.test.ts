import { describe, expect, it } from 'vitest';
import { classifyRemovedPage, readPage } from '../../../runners/takedown/removed-page.js';
import { CORPUS } from './recheck-corpus.js';

const judge = (p: (typeof CORPUS)[number]) => classifyRemovedPage({
  html: p.html, requestedUrl: p.requestedUrl, finalUrl: p.finalUrl ?? p.requestedUrl,
  ...(p.hadMedia === undefined ? {} : { hadMedia: p.hadMedia }), ...(p.previousBytes === undefined ? {} : { previousBytes: p.previousBytes }),
});

describe('removed-page classifier over a corpus made like the web', () => {
  const results = CORPUS.map((p) => ({ p, v: judge(p) }));
  const wrong = results.filter(({ p, v }) => p.removed !== v.removed);
  const falseGone = wrong.filter(({ p }) => !p.removed);
  const removed = CORPUS.filter((p) => p.removed).length;

  it('has at least 30 pages, both kinds', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
    expect(removed).toBeGreaterThan(10);
    expect(CORPUS.length - removed).toBeGreaterThan(10);
  });

  it('reports its accuracy, and calls no live page gone', () => {
    const accuracy = (CORPUS.length - wrong.length) / CORPUS.length;
    const recall = (removed - (wrong.length - falseGone.length)) / removed;
    console.log(`removed-page corpus: ${CORPUS.length} pages, accuracy ${(accuracy * 100).toFixed(1)} %, recall ${(recall * 100).toFixed(1)} %, ${falseGone.length} live pages called gone`);
    for (const { p, v } of wrong) console.log(`  wrong: ${p.name} (expected ${p.removed ? 'removed' : 'up'}, score ${v.score}: ${v.signals.join('; ')})`);
    // A live page called gone completes a takedown that did not happen: none may be.
    expect(falseGone.map(({ p }) => p.name)).toEqual([]);
    expect(accuracy).toBeGreaterThanOrEqual(0.85);
  });

  it('names the signals it weighed', () => {
    const home = results.find(({ p }) => p.name === 'redirect to the home page')!;
    expect(home.v.signals.some((s) => s.startsWith('redirected to the home page'))).toBe(true);
  });
});

describe('readPage', () => {
  it('keeps comments and articles apart from the page text, and ignores scripts', () => {
    const r = readPage('<title>T</title><h1>Episode 3</h1><script>var x="file removed"</script><div class="comments"><p>file was deleted elsewhere</p></div><p>Watch now</p>');
    expect(r.prominent).toBe('Episode 3');
    expect(r.discussion).toContain('file was deleted elsewhere');
    expect(r.main).toBe('Watch now');
    expect(`${r.main} ${r.prominent}`).not.toContain('file removed');
  });

  it('sees a player in an iframe, a video element, or a player set up by script', () => {
    expect(readPage('<iframe src="https://host.example/embed/9"></iframe>').player).toBe(true);
    expect(readPage('<video src="/a.mp4"></video>').player).toBe(true);
    expect(readPage('<div id="p"></div><script>jwplayer("p").setup({file:"/m.m3u8"})</script>').player).toBe(true);
    expect(readPage('<iframe src="https://ads.example/banner?slot=3"></iframe><p>no video</p>').player).toBe(false);
  });
});
