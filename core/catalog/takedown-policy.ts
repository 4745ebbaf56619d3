import type { PolicySpec } from './types.js';

/**
 * The Policy's takedown settings with every default filled in: the one reading of spec.takedown,
 * so the notice worker, the re-check and the Slack bot agree on the same numbers. The defaults
 * are the schema's (schemas/policy.schema.json); a test there keeps the two in step.
 */
export interface TakedownSettings {
  batch: { maxUrls: number; waitSeconds: number };
  delivery: { attempts: number; backoffMinutes: number };
  recheck: { firstAfterMinutes: number; everyMinutes: number; count: number };
  allowList: { proposeOnIgnore: boolean };
}

export const TAKEDOWN_DEFAULTS: TakedownSettings = {
  batch: { maxUrls: 100, waitSeconds: 60 },
  delivery: { attempts: 5, backoffMinutes: 5 },
  recheck: { firstAfterMinutes: 1440, everyMinutes: 1440, count: 5 },
  allowList: { proposeOnIgnore: true },
};

export function takedownSettings(policy: Pick<PolicySpec, 'takedown'>): TakedownSettings {
  const t = policy.takedown ?? {};
  return {
    batch: { ...TAKEDOWN_DEFAULTS.batch, ...t.batch },
    delivery: { ...TAKEDOWN_DEFAULTS.delivery, ...t.delivery },
    recheck: { ...TAKEDOWN_DEFAULTS.recheck, ...t.recheck },
    allowList: { ...TAKEDOWN_DEFAULTS.allowList, ...t.allowList },
  };
}
