import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TAKEDOWN_DEFAULTS, takedownSettings } from '../../../core/catalog/takedown-policy.js';

type Group = { properties: Record<string, { default?: unknown }> };

describe('takedown settings', () => {
  it('fills the defaults the Policy schema documents, field by field', () => {
    const schema = JSON.parse(readFileSync(new URL('../../../schemas/policy.schema.json', import.meta.url), 'utf8'));
    const groups = schema.properties.spec.properties.takedown.properties as Record<string, Group>;
    const fromSchema = Object.fromEntries(Object.entries(groups).map(([name, g]) => [name, Object.fromEntries(Object.entries(g.properties).map(([k, v]) => [k, v.default]))]));
    expect(fromSchema).toEqual(TAKEDOWN_DEFAULTS);
  });

  it('keeps what the Policy sets and defaults the rest of the same group', () => {
    const s = takedownSettings({ takedown: { recheck: { count: 2 }, delivery: { attempts: 1 } } });
    expect(s.recheck).toEqual({ firstAfterMinutes: 1440, everyMinutes: 1440, count: 2 });
    expect(s.delivery).toEqual({ attempts: 1, backoffMinutes: 5 });
    expect(s.batch).toEqual(TAKEDOWN_DEFAULTS.batch);
  });
});
