import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { simpleGit } from 'simple-git';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubServer, type GitHubServer } from '../../../bot/github/server.js';
import { openQueue } from '../../../core/bullmq.js';
import { parseCatalogRepo } from '../../../core/catalog-repo.js';
import { silentLogger } from '../../../core/log.js';
import { QUEUES } from '../../../core/queues.js';
import { APPLY_LOCK } from '../../../reconciler/apply.js';
import { startReconcileWorker } from '../../../reconciler/worker.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { deliver } from './fake-github.js';

/**
 * A push reaches the real webhook server, the real reconcile worker fetches a real git repository
 * (a file:// clone URL whose last two segments name acme/catalog-repo) and applies to PostgreSQL.
 */
const SECRET = 'push-reconcile-secret';
const content = (title: string): string =>
  `apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: a\nspec:\n  type: film\n  title: ${title}\n  releaseDate: 2026-01-01\n`;

let services: TestServices;
let tmp: string;
let repoDir: string;
let server: GitHubServer;
let queue: Queue;
let redis: Redis;
let worker: Worker;

async function commit(title: string): Promise<string> {
  await fs.writeFile(path.join(repoDir, 'catalog', 'a.yaml'), content(title));
  const git = simpleGit(repoDir);
  await git.add(['-A']);
  await git.commit(`title ${title}`);
  return (await git.revparse(['HEAD'])).trim();
}

const repository = { id: 4711, name: 'catalog-repo', full_name: 'acme/catalog-repo', owner: { login: 'acme' }, default_branch: 'main', clone_url: 'https://github.com/acme/catalog-repo.git' };
const push = (after: string) => deliver(server.webhookUrl, 'push', { ref: 'refs/heads/main', before: '0'.repeat(40), after, deleted: false, commits: [], repository }, { secret: SECRET });

async function drained(): Promise<void> {
  await expect.poll(async () => {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }, { timeout: 30_000, interval: 100 }).toBe(0);
  expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
}

const reconciledCommits = async (): Promise<string[]> =>
  (await services.db.pool.query<{ commit: string }>('select commit from reconciliations order by id')).rows.map((r) => r.commit);

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-push-'));
  repoDir = path.join(tmp, 'acme', 'catalog-repo');
  await fs.mkdir(path.join(repoDir, 'catalog'), { recursive: true });
  const git = simpleGit(repoDir);
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.email', 'ops@example.com');
  await git.addConfig('user.name', 'Ops');
  services = await openTestServices(path.join(tmp, 'home'));
  queue = openQueue(QUEUES.reconcile, services.redis, services.config.queuePrefix);
  redis = services.redis.client();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  server = await startGitHubServer({
    port: 0, appId: '1', privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), secret: SECRET,
    baseUrl: 'http://127.0.0.1:9', catalogPath: 'catalog', pool: services.db.pool, reconcileQueue: queue, redis,
    queuePrefix: services.config.queuePrefix, sourceEnvPrefix: services.config.sourceEnvPrefix, throttle: false,
    catalog: { repo: parseCatalogRepo('VIGIL_CATALOG_REPO', `file://${repoDir}`, 'https://api.github.com')!, branch: undefined },
  });
  worker = startReconcileWorker({ pool: services.db.pool, log: silentLogger }, services.redis, services.config);
});

afterEach(async () => {
  await worker?.close();
  await server?.close();
  await queue?.close();
  redis?.disconnect();
  await services?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('a push to the catalog branch', () => {
  it('applies the branch head: a redelivered old push, after a newer commit landed, applies nothing old', async () => {
    const old = await commit('Old');
    const head = await commit('New');

    expect((await push(head)).status).toBe(200);
    expect((await push(old)).status).toBe(200);
    await drained();

    const commits = await reconciledCommits();
    expect(commits.length).toBeGreaterThan(0);
    expect(commits.every((c) => c === head)).toBe(true);
    const row = await services.db.pool.query(`select spec->>'title' as title, applied_commit from catalog_objects where id = 'a'`);
    expect(row.rows).toEqual([{ title: 'New', applied_commit: head }]);
  });

  it('collapses pushes into one pending run, and still runs again for a push that arrives while a run is applying', async () => {
    const first = await commit('First');
    let second = '';
    // Hold the apply lock, so the run for the first push waits inside apply, after its fetch.
    const holder = new pg.Client({ connectionString: services.env.DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock($1)', [APPLY_LOCK]);
      expect((await push(first)).status).toBe(200);
      await expect.poll(async () => (await holder.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`)).rows[0].n, { timeout: 30_000, interval: 50 }).toBe(1);

      second = await commit('Second');
      expect((await push(second)).status).toBe(200);
      expect((await push(second)).status).toBe(200);
      expect(await queue.getJobCounts('waiting', 'active')).toEqual({ waiting: 1, active: 1 });
    } finally {
      await holder.query('select pg_advisory_unlock($1)', [APPLY_LOCK]).catch(() => undefined);
      await holder.end();
    }
    await drained();

    expect(await reconciledCommits()).toEqual([first, second]);
    const row = await services.db.pool.query(`select spec->>'title' as title from catalog_objects where id = 'a'`);
    expect(row.rows).toEqual([{ title: 'Second' }]);
  });
});
