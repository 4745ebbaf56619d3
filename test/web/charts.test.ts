import { describe, expect, it } from 'vitest';
import { barChartSvg, lastWeeks, niceMax, weekOf } from '../../web/charts.js';
import { familyGraphSvg } from '../../web/family-graph.js';

describe('bar chart', () => {
  it('draws one bar per series and week, each as tall as its value on a round axis', () => {
    const svg = barChartSvg({ title: 'A <b>title</b>', labels: ['2026-11-23', '2026-11-30'], series: [{ name: 'found', color: '#00f', values: [40, 10] }, { name: 'removed', color: '#0f0', values: [0, 20] }] });
    const bars = [...svg.matchAll(/data-series="(\w+)" data-label="([\d-]+)" data-value="(\d+)" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g)];
    expect(bars.map((b) => [b[1], b[2], Number(b[3])])).toEqual([['found', '2026-11-23', 40], ['removed', '2026-11-23', 0], ['found', '2026-11-30', 10], ['removed', '2026-11-30', 20]]);
    // niceMax(40) is 50: a bar of 40 fills four fifths of the plot's height, one of 10 a fifth.
    const height = (i: number): number => Number(bars[i]![5]);
    expect(height(0) / height(2)).toBeCloseTo(4, 5);
    expect(height(1)).toBe(0);
    expect(svg).toContain('A &lt;b&gt;title&lt;/b&gt;');
    expect(svg).not.toContain('<b>');
  });

  it('scales to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 12, 40, 51, 180, 999].map(niceMax)).toEqual([1, 1, 5, 10, 20, 50, 100, 200, 1000]);
  });

  it('counts weeks from Monday in UTC, the way date_trunc(\'week\') does', () => {
    expect(weekOf(new Date('2026-12-06T23:59:00Z'))).toBe('2026-11-30');
    expect(weekOf(new Date('2026-11-30T00:00:00Z'))).toBe('2026-11-30');
    expect(lastWeeks(new Date('2026-12-02T12:00:00Z'), 3)).toEqual(['2026-11-16', '2026-11-23', '2026-11-30']);
  });
});

describe('family graph', () => {
  it('puts each family in a column and draws an arrow along every hop, even when a hop names a host it does not know', () => {
    const svg = familyGraphSvg([
      { host: 'a.example', family: 'a', kind: 'catalog' },
      { host: 'a2.example', family: 'a', kind: 'hop', via: 'a.example', confidence: 0.9 },
      { host: 'a3.example', family: 'a', kind: 'hop', via: 'a2.example' },
      { host: 'lost.example', family: 'a', kind: 'hop', via: 'gone.example' },
      { host: 'b.example', family: 'b', kind: 'catalog' },
    ]);
    const hops = [...svg.matchAll(/<line class="hop" data-from="([^"]+)" data-to="([^"]+)"/g)].map((m) => `${m[1]}->${m[2]}`);
    expect(hops).toEqual(['a.example->a2.example', 'a2.example->a3.example']);
    // Top to bottom by hops from the catalog: a hop from a host the records lost sits one below the top, without an arrow.
    expect([...svg.matchAll(/<g class="host" data-host="([^"]+)"/g)].map((m) => m[1])).toEqual(['a.example', 'a2.example', 'lost.example', 'a3.example', 'b.example']);
  });
});
