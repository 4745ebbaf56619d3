import type pg from 'pg';
import { sessionCardJob, type SessionCardPayload } from '../queues.js';
import { appendAudit } from './audit.js';
import type { Change } from './findings.js';
import { writeOutbox } from './outbox.js';
import { inTransaction } from './transaction.js';

/**
 * A re-stream traced to a session, when the Policy leaves the revocation to a person: the trace is
 * audited and the Slack card with its Revoke button is owed (the outbox) in one transaction, so a
 * crash loses both or neither.
 */
export async function offerSessionRevocation(pool: pg.Pool, card: SessionCardPayload, by: Change): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await appendAudit(tx, by.actor, null, [{
      action: 'session-revocation-offered', kind: 'StreamingSession', id: card.sessionId, reason: by.reason,
      details: { channel: card.channel, recording: card.recording, watermarkId: card.watermarkId, segments: card.segments, seconds: card.seconds },
    }]);
    await writeOutbox(tx, [sessionCardJob(card)]);
  });
}
