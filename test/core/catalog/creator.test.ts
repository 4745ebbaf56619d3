import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../core/catalog/load.js';

const content = (id: string, creator: string): string => `apiVersion: vigil/v1
kind: Content
metadata: { id: ${id} }
spec:
  type: film
  title: ${id}
  releaseDate: 2026-01-01
  creator: ${creator}
`;

const diagnostics = (...docs: string[]) => loadCatalog(docs.map((content, i) => ({ path: `c${i}.yaml`, content }))).diagnostics.map((d) => `${d.file}:${d.line} ${d.severity}: ${d.message}`);

describe('the creator of a Content', () => {
  it('takes a name, an e-mail address and a Slack user id', () => {
    expect(diagnostics(content('a', '{ name: Hana Studio, email: hana@studio.example, slackUser: U0HANA }'), content('b', '{ name: hana studio }'))).toEqual([]);
  });

  it('refuses a bad address or Slack user id at the field, and a creator without a name', () => {
    const found = diagnostics(content('a', '{ name: Hana, email: not-an-address, slackUser: hana }'), content('b', '{ email: x@y.example }'));
    expect(found).toHaveLength(3);
    expect(found.filter((d) => d.startsWith('c0.yaml:8 error')).join('\n')).toMatch(/email[\s\S]*slackUser|slackUser[\s\S]*email/);
    expect(found.some((d) => d.startsWith('c1.yaml:8 error') && /name/.test(d))).toBe(true);
  });

  it('warns when works of one creator (ignoring case) give different addresses', () => {
    const found = diagnostics(content('a', '{ name: Hana Studio, email: hana@studio.example }'), content('b', '{ name: HANA STUDIO, email: other@studio.example }'));
    expect(found).toEqual([expect.stringMatching(/^c1\.yaml:8 warning: creator "HANA STUDIO" has email other@studio\.example here but hana@studio\.example in Content\/a at c0\.yaml:1/)]);
  });
});
