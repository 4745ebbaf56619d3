import type pg from 'pg';
import { cardView, type CardView } from '../../core/db/chat-cards.js';
import { counterNoticeOf, type CounterNotice } from '../../core/db/counter-notices.js';
import { noticesForFinding, type NoticeChannelName, type NoticeStatus } from '../../core/db/notices.js';

/**
 * The one load of what a finding card shows: core's cardView (the finding, its content, who acted
 * last) and its enforcement records, the latest notice listing it and the latest counter-notice.
 * The poster renders every card from this, on the first post and on each edit.
 */

/** The latest notice of a finding, as its card says it: to whom, by which channel, in which state, when. */
export interface CardNotice {
  id: number;
  contact: string;
  channel: NoticeChannelName;
  status: NoticeStatus;
  /** When it went (or was prepared, for a web form); else when it was written. */
  at: Date;
  /** The last failure's reason, for a failed notice. */
  reason?: string;
}

export interface FindingCardView extends CardView {
  notice?: CardNotice;
  counterNotice?: CounterNotice;
}

export async function findingCardView(db: Pick<pg.Pool, 'query'>, findingId: number): Promise<FindingCardView | undefined> {
  const [view, notices, counterNotice] = await Promise.all([cardView(db, findingId), noticesForFinding(db, findingId), counterNoticeOf(db, findingId)]);
  if (!view) return undefined;
  const latest = notices[notices.length - 1];
  const failure = latest?.receipts.filter((r) => r.outcome === 'failed').pop()?.reason ?? undefined;
  const notice: CardNotice | undefined = latest && {
    id: latest.id, contact: latest.contact, channel: latest.channel, status: latest.status, at: latest.sentAt ?? latest.createdAt,
    ...(latest.status === 'failed' && failure ? { reason: failure } : {}),
  };
  return { ...view, ...(notice ? { notice } : {}), ...(counterNotice ? { counterNotice } : {}) };
}
