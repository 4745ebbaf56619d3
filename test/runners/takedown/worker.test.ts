import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actOnFindings } from '../../../core/db/finding-actions.js';
import { outboxRows } from '../../../core/db/outbox.js';
import { listNotices, noticesForFinding } from '../../../core/db/notices.js';
import { defaultEvidenceSources } from '../../../runners/evidence/sources.js';
import type { NameResolver } from '../../../runners/takedown/contacts.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { startFakeRdap, type FakeRdap } from '../../support/fake-rdap.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { headersOf, startMailServer, textParts, type MailServer } from './channels/mail-server.js';
import { availableFinding, FILM_CONTENT_YAML, requestedFinding, startHarness, waitForStatus, type Harness } from './worker-harness.js';

/**
 * The takedown worker end to end through BullMQ and the outbox: findings requested → one compose
 * pass → one notice per contact over a real SMTP server → receipts, In Progress and re-checks owed.
 */

const CONTENT = FILM_CONTENT_YAML;
const SENDER = `  noticeSender: { name: Jane Counsel, organization: Harbor Films LLC, email: legal@harbor-films.test, address: "1 Studio Way, Burbank, CA 91502, USA", phone: "+1 555 0100" }\n`;
const policy = (sender: boolean) => `apiVersion: vigil/v1
kind: Policy
metadata:
  id: policy
spec:
${sender ? SENDER : ''}  takedown:
    batch: { maxUrls: 50, waitSeconds: 1 }
    delivery: { attempts: 3, backoffMinutes: 0 }
    recheck: { firstAfterMinutes: 60, everyMinutes: 60, count: 2 }
`;
const site = (id: string, domain: string, email: string) => `apiVersion: vigil/v1
kind: Site
metadata:
  id: ${id}
spec:
  type: piracy
  domains: [${domain}]
  takedown:
    email: ${email}
`;

const resolver: NameResolver = () => Promise.reject(new Error('ENOTFOUND'));
let rdap: FakeRdap;
let mail: MailServer;
let flakyTries = 0;

beforeAll(async () => {
  rdap = await startFakeRdap();
  mail = await startMailServer({
    user: 'vigil', pass: 's3cret',
    rcptReply: (address) => {
      if (address === 'abuse@reject.example') return { code: 550, message: '5.1.1 mailbox unavailable' };
      if (address === 'abuse@flaky.example' && ++flakyTries <= 2) return { code: 451, message: '4.3.0 try again later' };
      return undefined;
    },
  });
});
afterAll(async () => { await mail?.close(); await rdap?.close(); });

describe('the takedown worker, with a Policy that names its sender', () => {
  let services: TestServices;
  let harness: Harness;
  beforeAll(async () => {
    services = await openTestServices();
    await applyCatalog(services.db.pool, CONTENT, policy(true), site('pirate', 'pirate.example', 'abuse@pirate.example'),
      site('reject', 'reject.example', 'abuse@reject.example'), site('flaky', 'flaky.example', 'abuse@flaky.example'));
    harness = startHarness(services, rdap, mail.url(), resolver);
  }, 60_000);
  afterAll(async () => { await harness?.stop(); await services?.close(); });

  it('sends one notice listing all of a contact\'s requested links, puts them In Progress with receipts, and owes the notice\'s first re-check', async () => {
    const before = mail.received.length;
    const findings = [];
    for (let i = 0; i < 4; i++) findings.push(await requestedFinding(services, 'pirate.example'));
    const ids = findings.map((f) => f.id);
    const started = Date.now();
    await waitForStatus(services, ids, 'In Progress');
    const mails = mail.received.slice(before);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['abuse@pirate.example']);
    const text = textParts(mails[0]!.raw).get('text/plain')!;
    for (const f of findings) expect(text).toContain(f.url);
    const [notice, ...others] = await noticesForFinding(services.db.pool, ids[0]!);
    expect(others).toEqual([]);
    expect(notice).toMatchObject({ status: 'sent', attempts: 1, recovered: false, channel: 'smtp', contact: 'abuse@pirate.example', findingIds: ids });
    expect(notice!.receipts).toHaveLength(1);
    expect(notice!.receipts[0]).toMatchObject({ outcome: 'sent', channel: 'smtp', externalId: headersOf(mails[0]!.raw).get('message-id') });
    // The evidence pack lists the same notice with its receipts.
    expect(await defaultEvidenceSources(services.db.pool).notices(ids[1]!)).toMatchObject([{ id: notice!.id, receipts: [{ outcome: 'sent' }] }]);
    const rechecks = (await outboxRows(services.db.pool)).filter((r) => r.name === 'recheck');
    expect(rechecks.map((r) => r.jobId)).toEqual([`recheck-notice-${notice!.id}-1`]);
    for (const r of rechecks) {
      const due = Date.parse(r.runAt!) - started;
      expect(due).toBeGreaterThan(59 * 60_000);
      expect(due).toBeLessThan(61 * 60_000);
    }
    const audit = await services.db.pool.query<{ actor: string; reason: string }>(
      `select actor, reason from audit_log where object_kind = 'Finding' and object_id = $1 and action = 'takedown-status' and details->>'to' = 'In Progress'`, [String(ids[0])]);
    expect(audit.rows).toEqual([{ actor: 'takedown', reason: `notice ${notice!.id} sent to abuse@pirate.example by smtp` }]);
  });

  it('takes down a bulk request (actOnFindings) through its one request job: one notice per contact, every finding In Progress with its audit rows', async () => {
    const before = mail.received.length;
    const findings = [];
    for (let i = 0; i < 6; i++) findings.push(await availableFinding(services, i % 2 === 0 ? 'pirate.example' : 'other.pirate.example'));
    const ids = findings.map((f) => f.id);
    const outcomes = await actOnFindings(services.db.pool, ids, 'takedown', { actor: 'automation', reason: 'automatic takedown', override: false });
    expect(outcomes.map((o) => o.outcome)).toEqual(ids.map(() => 'done'));
    const jobs = (await outboxRows(services.db.pool)).filter((r) => r.name === 'request' && (r.payload as { findingIds: number[] }).findingIds.includes(ids[0]!));
    expect(jobs).toHaveLength(1);
    await waitForStatus(services, ids, 'In Progress');
    const mails = mail.received.slice(before);
    expect(mails).toHaveLength(1); // both hosts are the one Site's, written to one contact
    const text = textParts(mails[0]!.raw).get('text/plain')!;
    for (const f of findings) expect(text).toContain(f.url);
    const { rows } = await services.db.pool.query<{ object_id: string; to: string }>(
      `select object_id, details->>'to' as to from audit_log where object_kind = 'Finding' and object_id = any($1::text[]) and action = 'takedown-status' order by id`, [ids.map(String)]);
    for (const id of ids) expect(rows.filter((r) => r.object_id === String(id)).map((r) => r.to)).toEqual(['Takedown requested', 'In Progress']);
  });

  it('fails the links of a notice the mail server refuses for good (5xx), with the server\'s reason', async () => {
    const f = await requestedFinding(services, 'reject.example');
    await waitForStatus(services, [f.id], 'Failed');
    const [notice] = await noticesForFinding(services.db.pool, f.id);
    expect(notice).toMatchObject({ status: 'failed', attempts: 1 });
    expect(notice!.receipts[0]).toMatchObject({ outcome: 'failed', retryable: false });
    const audit = await services.db.pool.query<{ reason: string }>(`select reason from audit_log where object_id = $1 and action = 'takedown-status' and details->>'to' = 'Failed'`, [String(f.id)]);
    expect(audit.rows[0]!.reason).toMatch(/not delivered: .*550.*mailbox unavailable/);
  });

  it('tries again a notice the mail server defers (4xx) and sends it, keeping every try\'s receipt', async () => {
    const f = await requestedFinding(services, 'flaky.example');
    await waitForStatus(services, [f.id], 'In Progress');
    const [notice] = await noticesForFinding(services.db.pool, f.id);
    expect(notice).toMatchObject({ status: 'sent', attempts: 3 });
    expect(notice!.receipts.map((r) => [r.attempt, r.outcome, r.retryable])).toEqual([[1, 'failed', true], [2, 'failed', true], [3, 'sent', null]]);
    expect(notice!.receipts[0]!.reason).toMatch(/451/);
  });

  it('fails a finding whose host has no reachable contact, saying so on its audit row', async () => {
    const f = await requestedFinding(services, 'nobody.example');
    await waitForStatus(services, [f.id], 'Failed');
    expect(await noticesForFinding(services.db.pool, f.id)).toEqual([]);
    const audit = await services.db.pool.query<{ reason: string }>(`select reason from audit_log where object_id = $1 and action = 'takedown-status' and details->>'to' = 'Failed'`, [String(f.id)]);
    expect(audit.rows[0]!.reason).toMatch(/^no reachable contact for nobody\.example: /);
  });
});

describe('the takedown worker, with a Policy that names no sender', () => {
  let services: TestServices;
  let harness: Harness;
  beforeAll(async () => {
    services = await openTestServices();
    await applyCatalog(services.db.pool, CONTENT, policy(false), site('pirate', 'pirate.example', 'abuse@pirate.example'));
    harness = startHarness(services, rdap, mail.url(), resolver);
  }, 60_000);
  afterAll(async () => { await harness?.stop(); await services?.close(); });

  it('refuses the takedown with NOTICE_SENDER_MISSING on the finding\'s audit row, sends nothing, and keeps working', async () => {
    const before = mail.received.length;
    const f = await requestedFinding(services, 'pirate.example');
    await waitForStatus(services, [f.id], 'Failed');
    expect(mail.received.length).toBe(before);
    expect(await listNotices(services.db.pool)).toEqual([]);
    const audit = await services.db.pool.query<{ reason: string }>(`select reason from audit_log where object_id = $1 and action = 'takedown-status' and details->>'to' = 'Failed'`, [String(f.id)]);
    expect(audit.rows[0]!.reason).toMatch(/^takedown refused: VIGIL-E0501: Policy "policy" has no spec\.noticeSender/);
    expect(harness.worker.isRunning()).toBe(true);
  });
});
