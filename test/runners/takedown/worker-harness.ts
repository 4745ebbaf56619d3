import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Queue, Worker } from 'bullmq';
import { openQueue } from '../../../core/bullmq.js';
import { recordFinding, findingById } from '../../../core/db/findings.js';
import { silentLogger, type Logger } from '../../../core/log.js';
import { QUEUES, type QueueName } from '../../../core/queues.js';
import { queueAdder, startOutboxRelay, type OutboxRelay } from '../../../core/relay.js';
import type { TakedownStatus } from '../../../core/status.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { isBlockedAddress } from '../../../runners/monitor/address.js';
import { createFetcher } from '../../../runners/monitor/fetch.js';
import { createNoticeChannels } from '../../../runners/takedown/channels/index.js';
import type { NameResolver } from '../../../runners/takedown/contacts.js';
import { bootstrapFrom } from '../../../runners/takedown/rdap-bootstrap.js';
import { startTakedownWorker, type TakedownJobResult } from '../../../runners/takedown/worker.js';
import { bootstrapJson, type FakeRdap } from '../../support/fake-rdap.js';
import type { TestServices } from '../../support/services.js';

/** The film every takedown worker test takes down links to, as its catalog file says it. */
export const FILM_CONTENT_YAML = `apiVersion: vigil/v1
kind: Content
metadata:
  id: moonlit-harbor
spec:
  type: film
  title: Moonlit Harbor
  releaseDate: 2026-01-01
`;

/** The takedown worker wired as `vigil worker` wires it, against test services, a fake RDAP and a mail server. */
export interface Harness {
  worker: Worker<unknown, TakedownJobResult>;
  relay: OutboxRelay;
  queues: Map<QueueName, Queue>;
  stop(): Promise<void>;
}

export const REGISTRY = 'rdap.registry.test';

export function startHarness(services: TestServices, rdap: FakeRdap, smtpUrl: string | undefined, resolver: NameResolver, crawler = services.config.crawler, log: Logger = silentLogger): Harness {
  const queues = new Map<QueueName, Queue>();
  const queueOf = (name: QueueName): Promise<Queue> => {
    const q = queues.get(name) ?? openQueue(name, services.redis, services.config.queuePrefix);
    queues.set(name, q);
    return Promise.resolve(q);
  };
  const relay = startOutboxRelay({ pool: services.db.pool, add: queueAdder(queueOf), log, intervalMs: 100 });
  const takedown = { smtpUrl, lumenUrl: undefined, lumenToken: undefined, delistingDir: mkdtempSync(path.join(tmpdir(), 'vigil-delisting-')) };
  const bootstrap = bootstrapFrom([{ source: 'test', json: bootstrapJson([[['example'], [rdap.base(REGISTRY)]]]) }]);
  const fetcher = createFetcher({ resolve: rdap.resolve(), refuse: (a) => a !== '127.0.0.1' && isBlockedAddress(a) });
  const worker = startTakedownWorker({
    pool: services.db.pool, redis: services.redis, queue: openQueue(QUEUES.takedown, services.redis, services.config.queuePrefix),
    config: { ...services.config, crawler, takedown }, log, contacts: { rdap: { fetcher, bootstrap }, resolver },
    channels: createNoticeChannels(takedown, { delisting: false }),
  });
  return {
    worker, relay, queues,
    async stop() {
      await worker.close();
      await relay.stop();
      for (const q of queues.values()) await q.close();
    },
  };
}

let counter = 0;
/** A finding whose takedown is requested, as automatic takedown records it (with its takedown job in the outbox). */
export async function requestedFinding(services: TestServices, host: string, contentId = 'moonlit-harbor'): Promise<{ id: number; url: string }> {
  counter += 1;
  const url = `https://${host}/watch/moonlit-harbor-${counter}`;
  const { finding } = await recordFinding(services.db.pool, {
    contentId, url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: `Moonlit Harbor ${counter} - watch free`, source: 'web', score: 12,
    evidence: {}, takedownStatus: 'Takedown requested', detectionStatus: 'Not Available',
  }, { actor: 'test', reason: 'fixture' });
  return { id: finding.id, url };
}

/** A finding as a round leaves it for a person or automatic takedown to act on (Available). */
export async function availableFinding(services: TestServices, host: string, contentId = 'moonlit-harbor'): Promise<{ id: number; url: string }> {
  counter += 1;
  const url = `https://${host}/watch/moonlit-harbor-${counter}`;
  const { finding } = await recordFinding(services.db.pool, {
    contentId, url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: `Moonlit Harbor ${counter} - watch free`, source: 'web', score: 12,
    evidence: {}, takedownStatus: 'Available', detectionStatus: 'Not Available',
  }, { actor: 'test', reason: 'fixture' });
  return { id: finding.id, url };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function waitForStatus(services: TestServices, ids: readonly number[], status: TakedownStatus, timeoutMs?: number): Promise<void> {
  await waitFor(`findings ${ids.join(', ')} ${status}`, async () => {
    const all = await Promise.all(ids.map((id) => findingById(services.db.pool, id)));
    return all.every((f) => f?.takedownStatus === status) ? true : undefined;
  }, timeoutMs);
}

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/**
 * A takedown worker in a process of its own (test/support/takedown-worker.ts), so that a test can
 * kill it with -9; resolves once it says it is ready, rejects with its stderr if it exits first.
 * The child is pushed onto `children` for the test's afterAll to kill.
 */
export function spawnTakedownWorker(services: TestServices, env: Record<string, string>, children: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'test/support/takedown-worker.ts')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_OPTIONS: '', ...services.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('ready')) resolve(child); });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
  });
}
