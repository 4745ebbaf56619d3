import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openQueue } from '../../core/bullmq.js';
import { silentLogger } from '../../core/log.js';
import { QUEUES, type ReconcilePayload } from '../../core/queues.js';
import { openCheckout } from '../../reconciler/git-source.js';
import { follow, reconcileCommit, type ReconcileOutcome } from '../../reconciler/reconcile.js';
import { bullmqSchedulers } from '../../reconciler/schedulers.js';
import { startReconcileWorker } from '../../reconciler/worker.js';
import { openTestServices, type TestServices } from '../support/services.js';

const HEAD = 'apiVersion: vigil/v1\n';
const CONTENT = `${HEAD}kind: Content\nmetadata:\n  id: a\nspec:\n  type: film\n  title: A\n  releaseDate: 2026-01-01\n`;
const JOB = `${HEAD}kind: MonitoringJob\nmetadata:\n  id: a-watch\nspec:\n  content: a\n`;

describe('reconciling a git branch', () => {
  let services: TestServices;
  let repo: string;
  let home: string;

  async function commit(files: Record<string, string | null>, message: string): Promise<string> {
    for (const [name, text] of Object.entries(files)) {
      const file = path.join(repo, 'catalog', name);
      if (text === null) await fs.rm(file);
      else await fs.writeFile(file, text);
    }
    const git = simpleGit(repo);
    await git.add(['-A']);
    await git.commit(message);
    return (await git.revparse(['HEAD'])).trim();
  }

  beforeEach(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-home-'));
    repo = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-catalog-'));
    await fs.mkdir(path.join(repo, 'catalog'));
    const git = simpleGit(repo);
    await git.init(['--initial-branch=main']);
    await git.addConfig('user.email', 'ops@example.com');
    await git.addConfig('user.name', 'Ops');
    services = await openTestServices(home);
  });
  afterEach(async () => {
    await services.close();
    await fs.rm(repo, { recursive: true, force: true });
    await fs.rm(home, { recursive: true, force: true });
  });

  it('applies each new commit, stops what a commit removes, and applies nothing from an invalid commit', async () => {
    const queue = openQueue(QUEUES.monitor, services.redis, services.config.queuePrefix);
    const deps = { pool: services.db.pool, schedulers: bullmqSchedulers(queue), log: silentLogger };
    const catalog = { repo, branch: 'main', path: 'catalog' };
    const c1 = await commit({ 'a.yaml': CONTENT, 'jobs.yaml': JOB }, 'add a');
    const checkout = await openCheckout(catalog, home);
    try {
      const first = await reconcileCommit(deps, catalog, checkout, 'test', await checkout.fetch());
      expect(first).toMatchObject({ status: 'applied', commit: c1 });

      const c2 = await commit({ 'jobs.yaml': null }, 'stop watching a');
      const second = await reconcileCommit(deps, catalog, checkout, 'test', await checkout.fetch());
      expect(second).toMatchObject({ status: 'applied', commit: c2 });
      const job = await services.db.pool.query('select status from monitoring_jobs');
      expect(job.rows).toEqual([{ status: 'Stopped' }]);

      const c3 = await commit({ 'a.yaml': CONTENT.replace('title: A', 'title: [broken') }, 'break it');
      const third = await reconcileCommit(deps, catalog, checkout, 'test', await checkout.fetch());
      expect(third).toMatchObject({ status: 'invalid', commit: c3 });
      expect(third.diagnostics[0]).toMatchObject({ file: 'a.yaml', line: 7 });
      const title = await services.db.pool.query(`select spec->>'title' as title, applied_commit from catalog_objects where id = 'a'`);
      expect(title.rows[0]).toEqual({ title: 'A', applied_commit: c1 });
      const runs = await services.db.pool.query('select commit, result from reconciliations order by id');
      expect(runs.rows).toEqual([{ commit: c1, result: 'applied' }, { commit: c2, result: 'applied' }, { commit: c3, result: 'rejected' }]);
    } finally {
      await queue.close();
    }
  });

  it('follows the branch until stopped, reconciling a commit pushed while it runs', async () => {
    const catalog = { repo, branch: 'main', path: 'catalog' };
    await commit({ 'a.yaml': CONTENT }, 'add a');
    const checkout = await openCheckout(catalog, home);
    const controller = new AbortController();
    const outcomes: ReconcileOutcome[] = [];
    const following = follow({ pool: services.db.pool, log: silentLogger }, catalog, checkout, {
      intervalMs: 50, resyncMs: 60_000, signal: controller.signal, onOutcome: (o) => outcomes.push(o),
    });
    await expect.poll(() => outcomes.length, { timeout: 10_000 }).toBe(1);
    const c2 = await commit({ 'jobs.yaml': JOB }, 'watch a');
    await expect.poll(() => outcomes.length, { timeout: 10_000 }).toBe(2);
    controller.abort();
    await following;
    expect(outcomes[1]).toMatchObject({ status: 'applied', commit: c2 });
  });

  it('names the repository and git\'s reason when the branch does not exist', async () => {
    await commit({ 'a.yaml': CONTENT }, 'add a');
    await expect(openCheckout({ repo, branch: 'nope', path: 'catalog' }, home)).rejects.toMatchObject({
      code: 'VIGIL-E0203', message: expect.stringMatching(/cloning .* \(branch nope\) failed: .*nope/),
    });
  });

  it('runs reconcile requests from the queue, as a GitHub push enqueues them', async () => {
    const c1 = await commit({ 'a.yaml': CONTENT, 'jobs.yaml': JOB }, 'add a');
    const worker = startReconcileWorker({ pool: services.db.pool, log: silentLogger }, services.redis, { ...services.config, home });
    const queue = openQueue(QUEUES.reconcile, services.redis, services.config.queuePrefix);
    try {
      const payload: ReconcilePayload = { repo, branch: 'main', pushedCommit: c1, trigger: 'github:push' };
      const job = await queue.add('reconcile', payload, { jobId: `push-${c1}` });
      await expect.poll(async () => (await job.getState()), { timeout: 15_000 }).toBe('completed');
      const done = await queue.getJob(job.id!);
      expect(done?.returnvalue).toEqual({ status: 'applied', commit: c1, changes: 3, errors: 0 });
      const audit = await services.db.pool.query(`select distinct actor, commit from audit_log`);
      expect(audit.rows).toEqual([{ actor: 'github:push', commit: c1 }]);
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});
