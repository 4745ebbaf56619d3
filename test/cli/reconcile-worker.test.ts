import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../core/bullmq.js';
import { outboxRows, writeOutbox } from '../../core/db/outbox.js';
import { findingDetectionJob, findingDetectionJobId, QUEUES } from '../../core/queues.js';
import { runCli, startCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

describe('vigil reconcile and vigil worker on the command line', () => {
  let services: TestServices;
  let repo: string;
  let home: string;

  beforeAll(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-cli-home-'));
    services = await openTestServices(home);
    repo = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-cli-repo-'));
    await fs.cp(path.resolve(import.meta.dirname, '../../catalog'), path.join(repo, 'catalog'), { recursive: true });
    const git = simpleGit(repo);
    await git.init(['--initial-branch=main']);
    await git.addConfig('user.email', 'ops@example.com');
    await git.addConfig('user.name', 'Ops');
    await git.add(['-A']);
    await git.commit('example catalog');
  });
  afterAll(async () => {
    await services.close();
    await fs.rm(repo, { recursive: true, force: true });
    await fs.rm(home, { recursive: true, force: true });
  });

  it('reconciles the head of a branch once, then finds nothing to change', async () => {
    const head = (await simpleGit(repo).revparse(['HEAD'])).trim();
    const first = await runCli(['reconcile', '--repo', repo, '--once'], services.env, repo);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`${head.slice(0, 12)}: applied`);
    expect(first.stdout).toMatch(/Plan: 26 to add/);
    const again = await runCli(['reconcile', '--repo', repo, '--once', '--format', 'json'], services.env, repo);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'applied', commit: head, result: 'no-op', changes: 0 });
  });

  it('explains a missing --repo, a bad duration and a branch that does not exist', async () => {
    const noRepo = await runCli(['reconcile', '--once'], services.env, repo);
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toMatch(/VIGIL-E0104: vigil reconcile needs --repo URL\|PATH/);
    const badInterval = await runCli(['reconcile', '--repo', repo, '--interval', 'soon'], services.env, repo);
    expect(badInterval.code).toBe(2);
    expect(badInterval.stderr).toMatch(/--interval must be a duration such as 30s, 5m or 1h, not "soon"/);
    const noBranch = await runCli(['reconcile', '--repo', repo, '--branch', 'nope', '--once'], services.env, repo);
    expect(noBranch.code).toBe(1);
    expect(noBranch.stderr).toMatch(/VIGIL-E0203: cloning .* \(branch nope\) failed/);
    expect(noBranch.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a queue it has no worker for, naming the ones it has', async () => {
    const run = await runCli(['worker', '--queues', 'reconcile,frobnicate'], services.env, repo);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no worker for queue "frobnicate"; this build has: reconcile, monitor, embed, slack, takedown, detect/);
  });

  it('runs the named workers until stopped, relaying owed jobs from the outbox meanwhile', async () => {
    // A detect job owed by a finding whose writer died before it could queue it.
    await writeOutbox(services.db.pool, [findingDetectionJob(77)]);
    const controller = new AbortController();
    const started = startCli(['worker', '--queues', 'reconcile'], services.env, repo, controller.signal);
    const detect = openQueue(QUEUES.detect, services.redis, services.config.queuePrefix);
    try {
      await expect.poll(async () => (await detect.getJob(findingDetectionJobId(77)))?.data, { timeout: 30_000, interval: 100 }).toEqual({ findingId: 77 });
      // Marked sent when the relay's transaction commits, just after the add.
      await expect.poll(() => outboxRows(services.db.pool, { unsentOnly: true }), { timeout: 30_000, interval: 100 }).toEqual([]);
    } finally {
      controller.abort();
      await detect.close();
    }
    const run = await started.done;
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/working on reconcile; Ctrl-C stops/);
  });
});
