import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingById } from '../../../core/db/findings.js';
import { listNotices } from '../../../core/db/notices.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { headersOf, startMailServer, type MailServer } from './channels/mail-server.js';
import { FILM_CONTENT_YAML, requestedFinding, spawnTakedownWorker, waitFor } from './worker-harness.js';

/**
 * Exactly once across a SIGKILL: a worker process sending a batch of many notices is killed with
 * -9 part way, a new one is started, and every notice arrives; a Message-ID arrives twice only for a
 * notice the new worker flagged recovered (one that was in flight when the first died).
 */

const N = 40;

const CATALOG = [FILM_CONTENT_YAML, `apiVersion: vigil/v1
kind: Policy
metadata:
  id: policy
spec:
  noticeSender: { name: Jane Counsel, organization: Harbor Films LLC, email: legal@harbor-films.test, address: "1 Studio Way, Burbank, CA 91502, USA" }
  takedown:
    batch: { maxUrls: 1, waitSeconds: 1 }
    delivery: { attempts: 3, backoffMinutes: 0 }
`, `apiVersion: vigil/v1
kind: Site
metadata:
  id: pirate
spec:
  type: piracy
  domains: [pirate.example]
  takedown:
    email: abuse@pirate.example
`];

let services: TestServices;
let mail: MailServer;
const children: ChildProcess[] = [];

const startWorker = (): Promise<ChildProcess> => spawnTakedownWorker(services, { VIGIL_SMTP_URL: mail.url(), VIGIL_DELISTING_DIR: mkdtempSync(path.join(tmpdir(), 'vigil-kill-')) }, children);

beforeAll(async () => {
  services = await openTestServices();
  await applyCatalog(services.db.pool, ...CATALOG);
  mail = await startMailServer({ user: 'vigil', pass: 's3cret' });
}, 60_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await mail?.close();
  await services?.close();
});

describe('a takedown worker killed mid-batch', () => {
  it('sends every notice once after a restart, except at most the ones in flight, which are flagged recovered', async () => {
    const ids: number[] = [];
    for (let i = 0; i < N; i++) ids.push((await requestedFinding(services, 'pirate.example')).id);
    const first = await startWorker();
    await waitFor('part of the batch mailed', async () => (mail.received.length >= 8 ? true : undefined), 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = mail.received.length;
    expect(atKill).toBeLessThan(N);
    await startWorker();
    await waitFor('every finding In Progress', async () => {
      const all = await Promise.all(ids.map((id) => findingById(services.db.pool, id)));
      return all.every((f) => f?.takedownStatus === 'In Progress') ? true : undefined;
    }, 60_000);
    const notices = await listNotices(services.db.pool);
    expect(notices).toHaveLength(N);
    expect(notices.every((n) => n.status === 'sent')).toBe(true);
    const arrived = new Map<string, number>();
    for (const m of mail.received) {
      const id = headersOf(m.raw).get('message-id')!;
      arrived.set(id, (arrived.get(id) ?? 0) + 1);
    }
    for (const n of notices) {
      const messageId = n.receipts.find((r) => r.outcome === 'sent')!.externalId!;
      const times = arrived.get(messageId) ?? 0;
      expect(times, `notice ${n.id}`).toBeGreaterThanOrEqual(1);
      if (times > 1) expect(n.recovered, `notice ${n.id} arrived ${times} times`).toBe(true);
    }
    expect(arrived.size).toBe(N);
    // Only the notices in flight (at most the worker's concurrency) can have been taken up again.
    expect(notices.filter((n) => n.recovered).length).toBeLessThanOrEqual(4);
    console.log(`SIGKILL after ${atKill} mails; ${mail.received.length} received for ${N} notices; recovered: ${notices.filter((n) => n.recovered).length}`);
  }, 120_000);
});
