import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../core/catalog/load.js';

const content = (channel: string): string => `apiVersion: vigil/v1
kind: Content
metadata: { id: moonlit }
spec: { type: film, title: Moonlit Harbor, releaseDate: 2026-03-06, channel: "${channel}" }
`;
const policy = (channel: string): string => `apiVersion: vigil/v1
kind: Policy
metadata: { id: default }
spec: { channels: { findings: "${channel}" } }
`;

const errors = (yaml: string): string[] => loadCatalog([{ path: 'x.yaml', content: yaml }]).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`);

describe('Slack channels in the catalog', () => {
  it('lets a Content name its own findings channel, by #name or by id', () => {
    expect(errors(content('#moonlit-leaks'))).toEqual([]);
    expect(errors(content('C0123ABCDE'))).toEqual([]);
    expect(errors(content('G0123ABCDE'))).toEqual([]);
    expect(loadCatalog([{ path: 'x.yaml', content: content('#moonlit-leaks') }]).catalog.byKind.Content.get('moonlit')?.spec.channel).toBe('#moonlit-leaks');
  });

  it('takes a channel id in the Policy too, and refuses what names no channel with a hint', () => {
    expect(errors(policy('C0123ABCDE'))).toEqual([]);
    expect(errors(policy('#findings'))).toEqual([]);
    const bad = errors(content('Moonlit Leaks'));
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^4: .*#name .*C… or G…/);
    expect(errors(policy('U0123ABCDE'))).toHaveLength(1);
  });
});
