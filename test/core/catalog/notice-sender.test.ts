import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../core/catalog/load.js';

const policy = (sender: string): string => `apiVersion: vigil/v1
kind: Policy
metadata: { id: default }
spec:
  noticeSender: ${sender}
`;

const warnings = (yaml: string): string[] => loadCatalog([{ path: 'policy.yaml', content: yaml }]).diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.line}: ${d.message}`);

describe('the Policy notice sender', () => {
  it('warns, at the field, that a sender without a postal address cannot sign a 512(c)(3) notice', () => {
    const found = warnings(policy('{ name: Dana Reyes, email: antipiracy@harbor.example }'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^5: noticeSender has no address.*512\(c\)\(3\)/);
    expect(warnings(policy('{ name: Dana Reyes, email: antipiracy@harbor.example, address: "   " }'))).toHaveLength(1);
  });

  it('is quiet for a sender with an address', () => {
    expect(warnings(policy('{ name: Dana Reyes, email: antipiracy@harbor.example, address: "1 Studio Way, Burbank, CA" }'))).toEqual([]);
  });
});
