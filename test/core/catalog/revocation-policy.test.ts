import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../core/catalog/load.js';
import { REVOCATION_DEFAULTS, revocationChannel, revocationSettings, tracedSessionResponse } from '../../../core/catalog/revocation-policy.js';

const policy = (spec: string) => `apiVersion: vigil/v1\nkind: Policy\nmetadata:\n  id: p\nspec:\n${spec}`;
const errors = (yaml: string): string[] => loadCatalog([{ path: 'policy.yaml', content: yaml }]).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col}: ${d.message}`);

describe('revocation settings', () => {
  it('fills the defaults the Policy schema documents', () => {
    const schema = JSON.parse(readFileSync(new URL('../../../schemas/policy.schema.json', import.meta.url), 'utf8'));
    const props = schema.properties.spec.properties.revocation.properties as Record<string, { default: unknown }>;
    expect(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.default]))).toEqual(REVOCATION_DEFAULTS);
    expect(revocationSettings({})).toEqual({ automatic: false, durationSeconds: 86_400 });
    expect(revocationSettings({ revocation: { automatic: true } })).toEqual({ automatic: true, durationSeconds: 86_400 });
  });

  it('sends the Revoke card to the alerts channel, else the findings channel', () => {
    expect(revocationChannel({ channels: { alerts: '#a', findings: '#f' } })).toBe('#a');
    expect(revocationChannel({ channels: { findings: '#f' } })).toBe('#f');
    expect(revocationChannel({})).toBeUndefined();
  });

  it('accepts a Policy that revokes automatically, and refuses a duration under Akamai\'s 1,800 s at its line', () => {
    expect(errors(policy('  revocation:\n    automatic: true\n    durationSeconds: 7200\n'))).toEqual([]);
    const bad = errors(policy('  revocation:\n    automatic: yes-please\n    durationSeconds: 600\n'));
    expect(bad).toEqual(['7:16: spec.revocation.automatic must be a boolean', '8:22: spec.revocation.durationSeconds must be >= 1800']);
  });
});

describe('what a traced session gets', () => {
  it('revokes when asked or when the Policy says so, else asks in Slack where the Policy says, else prints the command', () => {
    expect(tracedSessionResponse({}, true)).toEqual({ kind: 'revoke', by: 'request', durationSeconds: 86_400 });
    expect(tracedSessionResponse({ revocation: { automatic: true, durationSeconds: 3600 }, channels: { alerts: '#a' } }, false)).toEqual({ kind: 'revoke', by: 'policy', durationSeconds: 3600 });
    expect(tracedSessionResponse({ revocation: { automatic: false }, channels: { alerts: '#a' } }, false)).toEqual({ kind: 'ask', channel: '#a', durationSeconds: 86_400 });
    expect(tracedSessionResponse({}, false)).toEqual({ kind: 'print' });
  });
});
