/**
 * The Block Kit action ids the bot's messages carry and its listeners answer, and the value a
 * finding's button holds. Cards (card.ts) and listeners (actions.ts, commands.ts, review.ts) both
 * read them from here.
 */
export const ACTION_IDS = {
  takedown: 'vigil.takedown',
  /** Take down on watermarked content before detection completed: its confirm dialog names the override. */
  takedownOverride: 'vigil.takedown.override',
  ignore: 'vigil.ignore',
  detect: 'vigil.detect',
  /** Build a finding's evidence pack and upload it to the card's thread (bot/slack/evidence.ts). */
  evidence: 'vigil.evidence',
  reviewConfirm: 'vigil.review.confirm',
  reviewReject: 'vigil.review.reject',
  /** The content chosen for a reported link before it is confirmed. */
  reviewContent: 'vigil.review.content',
  /** Revoke the streaming session a re-stream was traced to (bot/slack/session-card.ts); its value is the session id. */
  sessionRevoke: 'vigil.session.revoke',
  findingsPage: 'vigil.findings.page',
  reviewPage: 'vigil.review.page',
} as const;

/** A finding button's value: the finding, and the version of it the card showed (f, v: Slack caps values at 2,000 characters). */
export interface FindingButtonValue {
  findingId: number;
  version: number;
}

export function encodeFindingButton(value: FindingButtonValue): string {
  return JSON.stringify({ f: value.findingId, v: value.version });
}

/** Undefined for a value Vigil did not write (a forged or truncated request). */
export function decodeFindingButton(raw: unknown): FindingButtonValue | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed = JSON.parse(raw) as { f?: unknown; v?: unknown };
    if (Number.isSafeInteger(parsed.f) && (parsed.f as number) > 0 && Number.isSafeInteger(parsed.v) && (parsed.v as number) >= 0) {
      return { findingId: parsed.f as number, version: parsed.v as number };
    }
  } catch {
    // Not JSON: not ours.
  }
  return undefined;
}
