import type pg from 'pg';
import type { PoolClient } from 'pg';
import type { DetectionStatus, TakedownStatus } from '../status.js';
import { findingById, type Finding } from './findings.js';

/**
 * What Slack shows of the findings, as records: a summary message per content and round in a
 * channel, and a card per finding posted in that summary's thread. A card is owed in the same
 * transaction that creates its finding, and marked for an update in the one that changes its
 * statuses, so Slack can lag the records but never lose a change. The poster (bot/slack/poster.ts)
 * reads the work here and says what it posted; nothing here talks to Slack.
 *
 * The delivery bookkeeping (sending, posted, failed) is not audited: it records no decision, and
 * the changes it follows (finding-created, takedown-status, …) already are, like the outbox's sent_at.
 */

type Queryable = Pick<pg.Pool, 'query'>;
type Tx = Pick<PoolClient, 'query'>;

export type ChatState = 'pending' | 'sending' | 'posted' | 'skipped';

/** The key a posted message carries in its metadata, by which a restarted poster finds it again. */
export const CHAT_EVENT_TYPE = 'vigil_finding';
export const summaryKey = (contentId: string, roundId: string): string => `summary:${contentId}:${roundId}`;
export const cardKey = (findingId: number): string => `card:${findingId}`;
export const replyKey = (findingId: number, auditId: number): string => `reply:${findingId}:${auditId}`;

/**
 * The channel a content's cards go to: its own `channel` when it names one, else the Policy's
 * channels.findings; undefined when neither does (the cards are skipped, and that is logged once).
 */
export async function findingsChannel(db: Tx, contentId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ content_channel: string | null; policy_channel: string | null }>(
    `select (select spec->>'channel' from catalog_objects where kind = 'Content' and id = $1 and deleted_at is null) as content_channel,
            (select spec->'channels'->>'findings' from catalog_objects where kind = 'Policy' and deleted_at is null order by id limit 1) as policy_channel`,
    [contentId]);
  return rows[0]?.content_channel ?? rows[0]?.policy_channel ?? undefined;
}

/**
 * Owes a new finding its card, and its round its summary, inside recordFinding's transaction. A
 * summary already posted owes an update (its count grew).
 */
export async function createFindingCard(tx: Tx, finding: Pick<Finding, 'id' | 'contentId' | 'roundId'>): Promise<void> {
  const roundId = finding.roundId ?? `finding-${finding.id}`;
  const channel = await findingsChannel(tx, finding.contentId);
  const skipped = channel === undefined
    ? `neither Content ${finding.contentId} (spec.channel) nor the Policy (spec.channels.findings) names a Slack channel`
    : null;
  const { rows } = await tx.query<{ id: number; state: ChatState }>(
    `insert into chat_summaries (content_id, round_id, channel, state, last_error) values ($1, $2, $3, $4, $5)
     on conflict (content_id, round_id) do update set revision = chat_summaries.revision + 1, updated_at = now()
     returning id, state`,
    [finding.contentId, roundId, channel ?? null, skipped ? 'skipped' : 'pending', skipped]);
  const summary = rows[0]!;
  await tx.query(
    `insert into chat_cards (finding_id, summary_id, state, last_error) values ($1, $2, $3, $4) on conflict (finding_id) do nothing`,
    [finding.id, summary.id, summary.state === 'skipped' ? 'skipped' : 'pending', summary.state === 'skipped' ? skipped ?? 'its round summary was skipped' : null]);
}

/** Inside changeFindingStatus's transaction: the card re-renders, and its summary's counts are stale. */
export async function markCardDirty(tx: Tx, findingId: number): Promise<void> {
  await markCardsDirty(tx, [findingId]);
}

/** markCardDirty for many findings in one statement (a bulk status change); each summary's revision moves once. */
export async function markCardsDirty(tx: Tx, findingIds: readonly number[]): Promise<void> {
  if (findingIds.length === 0) return;
  await tx.query(
    `with card as (update chat_cards set dirty = true, updated_at = now() where finding_id = any($1::bigint[]) and state <> 'skipped' returning summary_id)
     update chat_summaries set revision = revision + 1, updated_at = now() where id in (select summary_id from card)`, [findingIds]);
}

export interface SummaryWork {
  id: number;
  contentId: string;
  roundId: string;
  channel: string;
  channelId: string | null;
  state: ChatState;
  ts: string | null;
  revision: number;
  createdAt: Date;
}

interface SummaryRow {
  id: number; content_id: string; round_id: string; channel: string; channel_id: string | null; state: ChatState; ts: string | null; revision: number; created_at: Date;
}

const SUMMARY_COLUMNS = 'id, content_id, round_id, channel, channel_id, state, ts, revision, created_at';

function toSummary(r: SummaryRow): SummaryWork {
  return { id: Number(r.id), contentId: r.content_id, roundId: r.round_id, channel: r.channel, channelId: r.channel_id, state: r.state, ts: r.ts, revision: r.revision, createdAt: r.created_at };
}

export interface CardWork {
  findingId: number;
  summaryId: number;
  state: ChatState;
  ts: string | null;
  dirty: boolean;
  shownVersion: number | null;
  repliedAuditId: number;
  replyAuditId: number | null;
  /** The summary's channel id and ts: the thread the card lives in. */
  channelId: string;
  threadTs: string;
}

interface CardRow {
  finding_id: string; summary_id: string; state: ChatState; ts: string | null; dirty: boolean; shown_version: number | null; replied_audit_id: string;
  reply_audit_id: string | null; channel_id: string; thread_ts: string;
}

const CARD_COLUMNS = `c.finding_id, c.summary_id, c.state, c.ts, c.dirty, c.shown_version, c.replied_audit_id, c.reply_audit_id, s.channel_id, s.ts as thread_ts`;

function toCard(r: CardRow): CardWork {
  return {
    findingId: Number(r.finding_id), summaryId: Number(r.summary_id), state: r.state, ts: r.ts, dirty: r.dirty, shownVersion: r.shown_version,
    repliedAuditId: Number(r.replied_audit_id), replyAuditId: r.reply_audit_id === null ? null : Number(r.reply_audit_id), channelId: r.channel_id, threadTs: r.thread_ts,
  };
}

/** Channels with anything to post or update; each arm reads only its partial index's rows. */
export async function channelsWithWork(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ channel: string }>(
    `select channel from chat_summaries where state in ('pending', 'sending')
     union select channel from chat_summaries where state = 'posted' and revision > shown_revision
     union select s.channel from chat_cards c join chat_summaries s on s.id = c.summary_id where c.state in ('pending', 'sending') and s.state = 'posted'
     union select s.channel from chat_cards c join chat_summaries s on s.id = c.summary_id where c.state = 'posted' and c.dirty and s.state = 'posted'`);
  return rows.map((r) => r.channel);
}

/** The id Slack answered with for a channel the catalog names (#name), from a summary posted there. */
export async function knownChannelId(db: Queryable, channel: string): Promise<string | undefined> {
  if (/^[CG][A-Z0-9]{8,}$/.test(channel)) return channel;
  const { rows } = await db.query<{ channel_id: string }>(`select channel_id from chat_summaries where channel = $1 and channel_id is not null limit 1`, [channel]);
  return rows[0]?.channel_id;
}

/** Summaries not yet posted in a channel, oldest first. */
export async function unpostedSummaries(db: Queryable, channel: string, limit = 50): Promise<SummaryWork[]> {
  const { rows } = await db.query<SummaryRow>(
    `select ${SUMMARY_COLUMNS} from chat_summaries where channel = $1 and state in ('pending', 'sending') order by id limit $2`, [channel, limit]);
  return rows.map(toSummary);
}

/** Posted summaries whose message shows less than the records (more cards, moved statuses). */
export async function staleSummaries(db: Queryable, channel: string, limit = 50): Promise<SummaryWork[]> {
  const { rows } = await db.query<SummaryRow>(
    `select ${SUMMARY_COLUMNS} from chat_summaries where channel = $1 and state = 'posted' and revision > shown_revision order by id limit $2`, [channel, limit]);
  return rows.map(toSummary);
}

/** Cards not yet posted whose summary is (their thread exists), in the order their findings were made. */
export async function unpostedCards(db: Queryable, channel: string, limit = 100): Promise<CardWork[]> {
  const { rows } = await db.query<CardRow>(
    `select ${CARD_COLUMNS} from chat_summaries s join chat_cards c on c.summary_id = s.id
     where s.channel = $1 and s.state = 'posted' and c.state in ('pending', 'sending') order by s.id, c.finding_id limit $2`, [channel, limit]);
  return rows.map(toCard);
}

/** Posted cards whose finding changed since they were rendered. */
export async function staleCards(db: Queryable, channel: string, limit = 100): Promise<CardWork[]> {
  const { rows } = await db.query<CardRow>(
    `select ${CARD_COLUMNS} from chat_summaries s join chat_cards c on c.summary_id = s.id
     where s.channel = $1 and s.state = 'posted' and c.state = 'posted' and c.dirty order by s.id, c.finding_id limit $2`, [channel, limit]);
  return rows.map(toCard);
}

/** The card row of one finding (undefined when the finding has none). */
export async function cardOf(db: Queryable, findingId: number): Promise<(CardWork & { channel: string | null; lastError: string | null }) | undefined> {
  const { rows } = await db.query<CardRow & { channel: string | null; last_error: string | null }>(
    `select ${CARD_COLUMNS}, s.channel, c.last_error from chat_cards c join chat_summaries s on s.id = c.summary_id where c.finding_id = $1`, [findingId]);
  return rows[0] ? { ...toCard(rows[0]), channel: rows[0].channel, lastError: rows[0].last_error } : undefined;
}

/** Before the chat.postMessage: a kill after Slack answers leaves 'sending', which a restart resolves. */
export async function markSummarySending(db: Queryable, id: number): Promise<void> {
  await db.query(`update chat_summaries set state = 'sending', attempts = attempts + 1, updated_at = now() where id = $1`, [id]);
}

export async function markSummaryPosted(db: Queryable, id: number, posted: { ts: string; channelId: string; revision: number }): Promise<void> {
  await db.query(
    `update chat_summaries set state = 'posted', ts = $2, channel_id = $3, shown_revision = $4, last_error = null, updated_at = now() where id = $1`,
    [id, posted.ts, posted.channelId, posted.revision]);
}

/** After chat.update: current unless a change came in meanwhile (then revision is ahead again). */
export async function markSummaryShown(db: Queryable, id: number, revision: number): Promise<void> {
  await db.query(`update chat_summaries set shown_revision = greatest(shown_revision, $2), last_error = null, updated_at = now() where id = $1`, [id, revision]);
}

/**
 * A call that failed. `posted: 'no'`: Slack refused it (ratelimited, not_in_channel), so it is
 * pending again. `posted: 'unknown'` (a timeout, a dropped connection): it stays 'sending' and is
 * looked for in Slack before it is posted again.
 */
export async function markSummaryFailed(db: Queryable, id: number, error: string, posted: 'no' | 'unknown'): Promise<void> {
  await db.query(
    `update chat_summaries set state = case when $3 and state = 'sending' then 'pending' else state end, last_error = $2, updated_at = now() where id = $1`,
    [id, error.slice(0, 1000), posted === 'no']);
}

export async function markCardSending(db: Queryable, findingId: number): Promise<void> {
  await db.query(`update chat_cards set state = 'sending', attempts = attempts + 1, updated_at = now() where finding_id = $1`, [findingId]);
}

/**
 * The card is in Slack, showing `version` and the finding's history up to `auditId` (no reply is
 * owed for what it already shows). It stays dirty if the finding moved on since it was rendered.
 */
export async function markCardPosted(db: Queryable, findingId: number, posted: { ts: string; version: number; auditId: number }): Promise<void> {
  await db.query(
    `update chat_cards c set state = 'posted', ts = $2, shown_version = $3, replied_audit_id = greatest(replied_audit_id, $4), last_error = null, updated_at = now(),
       dirty = (select f.version from findings f where f.id = c.finding_id) > $3
     where finding_id = $1`, [findingId, posted.ts, posted.version, posted.auditId]);
}

export async function markCardFailed(db: Queryable, findingId: number, error: string, posted: 'no' | 'unknown'): Promise<void> {
  await db.query(
    `update chat_cards set state = case when $3 and state = 'sending' then 'pending' else state end, last_error = $2, updated_at = now() where finding_id = $1`,
    [findingId, error.slice(0, 1000), posted === 'no']);
}

/** Before a threaded reply for one audit row is posted: a restart looks for it before posting again. */
export async function markReplySending(db: Queryable, findingId: number, auditId: number): Promise<void> {
  await db.query(`update chat_cards set reply_audit_id = $2, updated_at = now() where finding_id = $1`, [findingId, auditId]);
}

/** The reply for `auditId` is posted (or none was owed): later changes only. */
export async function markReplied(db: Queryable, findingId: number, auditId: number): Promise<void> {
  await db.query(
    `update chat_cards set replied_audit_id = greatest(replied_audit_id, $2), reply_audit_id = null, last_error = null, updated_at = now() where finding_id = $1`,
    [findingId, auditId]);
}

/** After chat.update: clean unless the finding moved on since `version` was rendered. */
export async function markCardShown(db: Queryable, findingId: number, version: number): Promise<void> {
  await db.query(
    `update chat_cards c set shown_version = $2, last_error = null, updated_at = now(), dirty = (select f.version from findings f where f.id = c.finding_id) > $2
     where finding_id = $1`, [findingId, version]);
}

export async function noteCardError(db: Queryable, findingId: number, error: string): Promise<void> {
  await db.query(`update chat_cards set last_error = $2, updated_at = now() where finding_id = $1`, [findingId, error.slice(0, 1000)]);
}

/** The cards waiting on a summary Slack refused carry its error too, so a card says why it is not in Slack. */
export async function noteSummaryCardsError(db: Queryable, summaryId: number, error: string): Promise<void> {
  await db.query(`update chat_cards set last_error = $2, updated_at = now() where summary_id = $1 and state in ('pending', 'sending') and last_error is distinct from $2`,
    [summaryId, error.slice(0, 1000)]);
}

export interface SkippedSummary {
  id: number;
  contentId: string;
  roundId: string;
  reason: string;
  cards: number;
}

/** Skipped summaries not yet logged; marked logged by the same statement, so each is told once. */
export async function takeUnreportedSkips(db: Queryable, limit = 100): Promise<SkippedSummary[]> {
  const { rows } = await db.query<{ id: string; content_id: string; round_id: string; last_error: string | null; cards: string }>(
    `update chat_summaries s set reported = true where id in (
       select id from chat_summaries where state = 'skipped' and not reported order by id limit $1)
     returning s.id, s.content_id, s.round_id, s.last_error, (select count(*) from chat_cards c where c.summary_id = s.id) as cards`, [limit]);
  return rows.map((r) => ({ id: Number(r.id), contentId: r.content_id, roundId: r.round_id, reason: r.last_error ?? 'no channel', cards: Number(r.cards) }));
}

/** The title and the facts about it a card shows. */
export interface CardContent {
  id: string;
  title: string;
  season?: number;
  watermarked: boolean;
}

/** One status change of a finding, from the audit log: what moved, who moved it, when and why. */
export interface FindingChange {
  auditId: number;
  at: Date;
  actor: string;
  action: 'takedown-status' | 'detection-status';
  from: string;
  to: string;
  reason: string;
  details: Record<string, unknown>;
}

/** Everything a card shows of one finding. */
export interface CardView {
  finding: Finding;
  content: CardContent;
  /** The latest status change (who acted last, and when). */
  lastChange?: FindingChange;
  /** The finding's latest audit row: what the rendered card reflects. */
  auditId: number;
}

async function contentOf(db: Queryable, contentId: string): Promise<CardContent> {
  const { rows } = await db.query<{ spec: { title?: string; season?: number; watermarked?: boolean } }>(
    `select spec from catalog_objects where kind = 'Content' and id = $1`, [contentId]);
  const spec = rows[0]?.spec;
  return { id: contentId, title: spec?.title ?? contentId, ...(typeof spec?.season === 'number' ? { season: spec.season } : {}), watermarked: spec?.watermarked === true };
}

interface ChangeRow { id: string; at: Date; actor: string; action: FindingChange['action']; reason: string; details: Record<string, unknown> }

function toChange(r: ChangeRow): FindingChange {
  const { from, to, ...details } = r.details;
  return { auditId: Number(r.id), at: r.at, actor: r.actor, action: r.action, from: String(from ?? ''), to: String(to ?? ''), reason: r.reason, details };
}

/** The finding's status changes after audit row `afterAuditId`, oldest first (who, when, from → to). */
export async function changesSince(db: Queryable, findingId: number, afterAuditId: number): Promise<FindingChange[]> {
  const { rows } = await db.query<ChangeRow>(
    `select id, at, actor, action, reason, details from audit_log
     where object_kind = 'Finding' and object_id = $1 and id > $2 and action in ('takedown-status', 'detection-status') order by id`,
    [String(findingId), afterAuditId]);
  return rows.map(toChange);
}

/** What a card of this finding shows now; undefined when the finding is gone. */
export async function cardView(db: Queryable, findingId: number): Promise<CardView | undefined> {
  const finding = await findingById(db, findingId);
  if (!finding) return undefined;
  const [content, last, latest] = await Promise.all([
    contentOf(db, finding.contentId),
    db.query<ChangeRow>(
      `select id, at, actor, action, reason, details from audit_log
       where object_kind = 'Finding' and object_id = $1 and action in ('takedown-status', 'detection-status') order by id desc limit 1`, [String(findingId)]),
    db.query<{ id: string | null }>(`select max(id) as id from audit_log where object_kind = 'Finding' and object_id = $1`, [String(findingId)]),
  ]);
  return { finding, content, ...(last.rows[0] ? { lastChange: toChange(last.rows[0]) } : {}), auditId: Number(latest.rows[0]?.id ?? 0) };
}

/** What a round's summary shows: its title, how many findings, and how many in each status. */
export interface SummaryView {
  content: CardContent;
  roundId: string;
  count: number;
  firstSeen: Date | null;
  takedown: Partial<Record<TakedownStatus, number>>;
  detection: Partial<Record<DetectionStatus, number>>;
  /** The summary's revision these counts were read at. */
  revision: number;
}

export async function summaryView(db: Queryable, summaryId: number): Promise<SummaryView | undefined> {
  const { rows: [s] } = await db.query<{ content_id: string; round_id: string; revision: number }>(
    `select content_id, round_id, revision from chat_summaries where id = $1`, [summaryId]);
  if (!s) return undefined;
  const { rows } = await db.query<{ takedown_status: TakedownStatus; detection_status: DetectionStatus; n: string; first_seen: Date }>(
    `select f.takedown_status, f.detection_status, count(*) as n, min(f.first_seen) as first_seen from chat_cards c join findings f on f.id = c.finding_id
     where c.summary_id = $1 group by 1, 2`, [summaryId]);
  const takedown: SummaryView['takedown'] = {};
  const detection: SummaryView['detection'] = {};
  let count = 0;
  let firstSeen: Date | null = null;
  for (const r of rows) {
    const n = Number(r.n);
    count += n;
    takedown[r.takedown_status] = (takedown[r.takedown_status] ?? 0) + n;
    detection[r.detection_status] = (detection[r.detection_status] ?? 0) + n;
    if (!firstSeen || r.first_seen < firstSeen) firstSeen = r.first_seen;
  }
  return { content: await contentOf(db, s.content_id), roundId: s.round_id, count, firstSeen, takedown, detection, revision: s.revision };
}
