import type pg from 'pg';
import { takedownSettings } from '../../core/catalog/takedown-policy.js';
import type { ContentSpec, PolicySpec } from '../../core/catalog/types.js';
import { findingsByIds, type Finding } from '../../core/db/findings.js';
import { createNotices, failFindingsWithoutNotice, findingsAwaitingNotice, type NewNotice, type NoticeChannelName } from '../../core/db/notices.js';
import { appliedSites } from '../../core/db/abuse-contacts.js';
import { appliedPolicy } from '../../core/db/policy.js';
import { isVigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { batchNotices } from './batch.js';
import type { NoticeChannels } from './channels/index.js';
import { noticeKey } from './channels/notice-key.js';
import { deliveryTargets, noticeRecipient, type ContactDeps } from './contacts.js';
import { noticeSender, type Notice, type NoticeContent, type NoticePolicy } from './notice.js';

/**
 * One compose pass of the takedown queue: every finding 'Takedown requested' that no open notice
 * lists gets its host's contacts (noticeRecipient), then one notice per contact listing all of that
 * contact's links (batchNotices, capped by the Policy), written with their jobs (core/db/notices.ts).
 * A finding nobody can be written to is Failed with the why on its audit row, never skipped. Passes
 * run one at a time (an advisory lock), so two never write notices for the same finding.
 */

export interface ComposeDeps {
  pool: pg.Pool;
  log: Logger;
  /** RDAP client and resolver for noticeRecipient. */
  contacts: Omit<ContactDeps, 'pool'>;
  channels: Pick<NoticeChannels, 'route'>;
  now?: () => Date;
}

export interface ComposeResult {
  /** Findings looked at. */
  findings: number;
  notices: number[];
  /** Findings Failed because no notice can go to anyone (with the why). */
  failed: { id: number; why: string }[];
  skipped: { key: string; why: string }[];
}

const COMPOSE_LOCK = 'vigil.takedown.compose';

async function appliedPolicyDoc(pool: pg.Pool): Promise<NoticePolicy & { spec: PolicySpec }> {
  const { rows } = await pool.query<{ id: string }>(`select id from catalog_objects where kind = 'Policy' and deleted_at is null order by id limit 1`);
  const spec: PolicySpec = await appliedPolicy(pool);
  return { ...(rows[0] ? { id: rows[0].id } : {}), spec };
}

async function catalogSpecs<T>(pool: pg.Pool, kind: 'Content' | 'Site'): Promise<Map<string, T>> {
  // A retired object keeps its last spec: a finding of a retired Content is still noticed under it.
  const { rows } = await pool.query<{ id: string; spec: T }>(`select id, spec from catalog_objects where kind = $1 order by id, deleted_at nulls first`, [kind]);
  const specs = new Map<string, T>();
  for (const r of rows) if (!specs.has(r.id)) specs.set(r.id, r.spec);
  return specs;
}

function whyOf(error: unknown): string {
  return isVigilError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
}

interface ContactLinksWithChannel {
  to: string;
  channel: NoticeChannelName;
  siteLanguage?: string;
  findings: Finding[];
}

/** Which contacts each finding's host is written to; a host with none yields the why for its findings. */
async function contactsFor(findings: readonly Finding[], deps: ComposeDeps, siteLanguage: (f: Finding) => string | undefined): Promise<{ byContact: Map<string, ContactLinksWithChannel>; failed: { id: number; why: string }[] }> {
  const byHost = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.host.toLowerCase()} ${f.siteId ?? ''}`;
    const group = byHost.get(key) ?? [];
    group.push(f);
    byHost.set(key, group);
  }
  const byContact = new Map<string, ContactLinksWithChannel>();
  const failed: { id: number; why: string }[] = [];
  const sites = await appliedSites(deps.pool);
  for (const group of byHost.values()) {
    const first = group[0]!;
    let why: string | undefined;
    try {
      const recipient = await noticeRecipient({ host: first.host, siteId: first.siteId }, { pool: deps.pool, ...deps.contacts, sites });
      if (recipient.kind === 'none') why = `no reachable contact for ${recipient.host}: ${recipient.why}`;
      else {
        const unroutable: string[] = [];
        let routed = 0;
        for (const target of deliveryTargets(recipient)) {
          try {
            const route = deps.channels.route(target.channel === 'email' ? { email: target.to } : { formUrl: target.to });
            const key = `${route.channel.name} ${route.to.toLowerCase()}`;
            const entry = byContact.get(key) ?? { to: route.to, channel: route.channel.name as NoticeChannelName, findings: [] };
            const language = siteLanguage(first);
            if (language !== undefined) entry.siteLanguage = language;
            entry.findings.push(...group);
            byContact.set(key, entry);
            routed += 1;
          } catch (error) {
            unroutable.push(whyOf(error));
          }
        }
        if (routed === 0) why = `no reachable contact for ${recipient.host}: ${unroutable.join('; ') || 'its contacts have neither e-mail nor form'}`;
      }
    } catch (error) {
      // A refusal (every RDAP contact private) is an answer for a person; anything else is a fault to retry.
      if (!isVigilError(error) || error.errorName !== 'CONTACT_PRIVATE_ADDRESS') throw error;
      why = `no reachable contact for ${first.host}: ${whyOf(error)}`;
    }
    if (why !== undefined) for (const f of group) failed.push({ id: f.id, why });
  }
  return { byContact, failed };
}

function newNotice(notice: Notice, channel: NoticeChannelName, sender: NewNotice['sender']): NewNotice {
  return {
    key: noticeKey(notice), contact: notice.to, channel, language: notice.language, dir: notice.dir, subject: notice.subject, text: notice.text, html: notice.html,
    urls: notice.urls, works: notice.works.map((w) => ({ ...w })), sender, part: notice.part, findingIds: notice.findingIds,
  };
}

async function composeLocked(deps: ComposeDeps): Promise<ComposeResult> {
  const { pool, log } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const ids = await findingsAwaitingNotice(pool);
  const findings = await findingsByIds(pool, ids);
  const result: ComposeResult = { findings: findings.length, notices: [], failed: [], skipped: [] };
  if (findings.length === 0) return result;
  const policy = await appliedPolicyDoc(pool);
  let sender: ReturnType<typeof noticeSender>;
  try {
    sender = noticeSender(policy);
  } catch (error) {
    const why = `takedown refused: ${whyOf(error)}`;
    log.error({ findingIds: ids, err: error }, why);
    result.failed = findings.map((f) => ({ id: f.id, why }));
    await failFindingsWithoutNotice(pool, result.failed);
    return result;
  }
  const settings = takedownSettings(policy.spec);
  const contents = await catalogSpecs<ContentSpec>(pool, 'Content');
  const sites = await catalogSpecs<{ language?: string }>(pool, 'Site');
  const withContent = findings.filter((f) => {
    if (contents.has(f.contentId)) return true;
    result.failed.push({ id: f.id, why: `no notice: Content ${JSON.stringify(f.contentId)} is not in the applied catalog, so the work cannot be named` });
    return false;
  });
  const { byContact, failed } = await contactsFor(withContent, deps, (f) => (f.siteId ? sites.get(f.siteId)?.language : undefined));
  result.failed.push(...failed);
  const composed: NewNotice[] = [];
  const channelSender = { name: sender.name, email: sender.email, ...(sender.organization ? { organization: sender.organization } : {}) };
  for (const contact of byContact.values()) {
    try {
      const notices = batchNotices([{ to: contact.to, findings: contact.findings, ...(contact.siteLanguage ? { siteLanguage: contact.siteLanguage } : {}) }], {
        policy, contents: contents as ReadonlyMap<string, NoticeContent>, date: now, cap: { maxUrls: settings.batch.maxUrls },
      });
      composed.push(...notices.map((n) => newNotice(n, contact.channel, channelSender)));
    } catch (error) {
      if (!isVigilError(error)) throw error;
      const why = `notice to ${contact.to} refused: ${whyOf(error)}`;
      log.error({ contact: contact.to, err: error }, why);
      for (const f of contact.findings) result.failed.push({ id: f.id, why });
    }
  }
  // A finding with a notice to one of its contacts is not Failed for another contact it lacks.
  const noticed = new Set(composed.flatMap((n) => n.findingIds));
  result.failed = result.failed.filter((f) => !noticed.has(f.id));
  const written = await createNotices(pool, composed);
  result.notices = written.created.map((n) => n.id);
  result.skipped = written.skipped;
  await failFindingsWithoutNotice(pool, result.failed);
  for (const n of written.created) log.info({ noticeId: n.id, findingIds: n.findingIds, to: n.contact, channel: n.channel }, 'takedown notice composed');
  for (const f of result.failed) log.error({ findingId: f.id, why: f.why }, 'no takedown notice can be sent for the finding; it is Failed');
  log.info({ findings: result.findings, notices: result.notices.length, failed: result.failed.length, skipped: result.skipped.length }, 'takedown notices composed');
  return result;
}

/** Runs one compose pass, after any other pass in any process has finished. */
export async function runComposePass(deps: ComposeDeps): Promise<ComposeResult> {
  const client = await deps.pool.connect();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [COMPOSE_LOCK]);
    try {
      return await composeLocked(deps);
    } finally {
      await client.query('select pg_advisory_unlock(hashtext($1))', [COMPOSE_LOCK]);
    }
  } finally {
    client.release();
  }
}
