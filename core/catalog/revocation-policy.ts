import type { PolicySpec } from './types.js';

/**
 * The Policy's revocation settings with the defaults filled in (the schema's, schemas/policy.schema.json):
 * what `vigil detect --package` does with the session a re-stream is traced to.
 */
export interface RevocationSettings {
  /** Revoke at once; false: ask a revoke approver in Slack. */
  automatic: boolean;
  durationSeconds: number;
}

export const REVOCATION_DEFAULTS: RevocationSettings = { automatic: false, durationSeconds: 86_400 };

export function revocationSettings(policy: Pick<PolicySpec, 'revocation'>): RevocationSettings {
  return { ...REVOCATION_DEFAULTS, ...policy.revocation };
}

/** Where a Revoke card goes: the alerts channel, else the findings channel; undefined when the Policy names neither. */
export function revocationChannel(policy: Pick<PolicySpec, 'channels'>): string | undefined {
  return policy.channels?.alerts ?? policy.channels?.findings;
}

/**
 * What a traced session gets: revoked at once (asked for with --revoke, or the Policy says so), a
 * Revoke card in Slack (the Policy names a channel), or only the command printed for a person.
 */
export type TracedSessionResponse =
  | { kind: 'revoke'; by: 'request' | 'policy'; durationSeconds: number }
  | { kind: 'ask'; channel: string; durationSeconds: number }
  | { kind: 'print' };

export function tracedSessionResponse(policy: Pick<PolicySpec, 'revocation' | 'channels'>, revokeRequested: boolean): TracedSessionResponse {
  const settings = revocationSettings(policy);
  if (revokeRequested) return { kind: 'revoke', by: 'request', durationSeconds: settings.durationSeconds };
  if (settings.automatic) return { kind: 'revoke', by: 'policy', durationSeconds: settings.durationSeconds };
  const channel = revocationChannel(policy);
  return channel === undefined ? { kind: 'print' } : { kind: 'ask', channel, durationSeconds: settings.durationSeconds };
}
