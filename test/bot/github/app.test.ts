import { generateKeyPairSync } from 'node:crypto';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../../core/bullmq.js';
import { QUEUES, type ReconcilePayload } from '../../../core/queues.js';
import { PLAN_MARKER } from '../../../bot/github/comment.js';
import { startGitHubServer, type GitHubServer } from '../../../bot/github/server.js';
import { apply } from '../../../reconciler/apply.js';
import { loadCatalog } from '../../../core/catalog/load.js';
import { desiredState } from '../../../reconciler/desired.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { deliver, startFakeGitHub, type FakeRepo } from './fake-github.js';

const APP_ID = '4242';
const SECRET = 'webhook-secret-for-tests';
const OWNER = 'acme';
const NAME = 'catalog-repo';
const INSTALLATION = 77;

const CONTENT = `apiVersion: vigil/v1
kind: Content
metadata:
  id: iron-orchard
spec:
  type: film
  title: The Iron Orchard
  releaseDate: 2025-11-14
`;

const recipient = (id: string, name: string, watermarkId: number): string => `apiVersion: vigil/v1
kind: Recipient
metadata:
  id: ${id}
spec:
  name: ${name}
  watermarkId: ${watermarkId}
`;

const VALID = {
  'README.md': '# catalog\n',
  'catalog/content/iron-orchard.yaml': CONTENT,
  'catalog/recipients/partners.yaml': recipient('northwind-vod', 'Northwind-VOD', 1001),
};

// Line 15 of partners.yaml is the second document's watermarkId; line 5, column 7 of broken.yaml is the unclosed flow sequence.
const BROKEN = {
  ...VALID,
  'catalog/recipients/partners.yaml': `${recipient('northwind-vod', 'Northwind-VOD', 1001)}---\n${recipient('bluebird', 'Bluebird', 1001)}`,
  'catalog/sites/broken.yaml': 'apiVersion: vigil/v1\nkind: Site\nmetadata:\n  id: x\nspec: [unclosed\n',
};

const sha = (n: number): string => n.toString(16).padStart(40, 'a');

const repository = {
  id: 9001,
  node_id: 'R_1',
  name: NAME,
  full_name: `${OWNER}/${NAME}`,
  private: false,
  owner: { login: OWNER, id: 1, type: 'Organization' },
  default_branch: 'main',
  clone_url: `https://github.com/${OWNER}/${NAME}.git`,
};

function prPayload(action: 'opened' | 'synchronize' | 'reopened', number: number, headSha: string) {
  return {
    action,
    number,
    pull_request: { number, state: 'open', head: { sha: headSha, ref: `change-${number}` }, base: { sha: sha(1), ref: 'main' } },
    repository,
    installation: { id: INSTALLATION },
    sender: { login: 'octocat', type: 'User' },
  };
}

function pushPayload(ref: string, after: string) {
  return { ref, before: sha(1), after, deleted: false, created: false, commits: [], repository, installation: { id: INSTALLATION }, sender: { login: 'octocat', type: 'User' } };
}

let services: TestServices;
let queue: Queue;
let github: Awaited<ReturnType<typeof startFakeGitHub>>;
let repo: FakeRepo;
let server: GitHubServer;

beforeAll(async () => {
  services = await openTestServices();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  github = await startFakeGitHub({ appId: APP_ID, publicKey });
  repo = github.addRepo(OWNER, NAME);
  queue = openQueue(QUEUES.reconcile, services.redis, services.config.queuePrefix);
  server = await startGitHubServer({
    port: 0,
    host: '127.0.0.1',
    appId: APP_ID,
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    secret: SECRET,
    baseUrl: github.url,
    catalogPath: services.config.github.catalogPath,
    pool: services.db.pool,
    reconcileQueue: queue,
    throttle: false,
  });
});

afterAll(async () => {
  await server?.close();
  await queue?.close();
  await github?.close();
  await services?.close();
});

const send = (event: string, payload: unknown, options: { signature?: string | null; delivery?: string } = {}) =>
  deliver(server.webhookUrl, event, payload, { secret: SECRET, ...options });

const callsSince = (start: number) => github.calls.slice(start).map((c) => `${c.method} ${c.path}`);

describe('vigil GitHub App', () => {
  it('plans a valid catalog pull request: a successful vigil/plan check run and one plan comment', async () => {
    const head = sha(2);
    repo.commits.set(head, VALID);
    // 120 other files first, so the catalog file is only on the second page of the PR's files.
    repo.pullFiles.set(1, [...Array.from({ length: 120 }, (_, i) => `docs/page-${i}.md`), 'catalog/recipients/partners.yaml']);
    const start = github.calls.length;

    const res = await send('pull_request', prPayload('opened', 1, head));

    expect(res.status).toBe(200);
    const calls = callsSince(start);
    expect(calls).toContain(`POST /app/installations/${INSTALLATION}/access_tokens`);
    expect(calls.filter((c) => c === `GET /repos/${OWNER}/${NAME}/pulls/1/files`)).toHaveLength(2);
    expect(calls).toContain(`GET /repos/${OWNER}/${NAME}/git/trees/${head}`);
    expect(github.calls.find((c) => c.path.endsWith(`/git/trees/${head}`))?.query.get('recursive')).toBeTruthy();
    // Only the two catalog YAML files are fetched; README.md is not.
    expect(calls.filter((c) => c.includes('/git/blobs/'))).toHaveLength(2);

    expect(repo.checkRuns).toHaveLength(1);
    const run = repo.checkRuns[0]!;
    expect(run).toMatchObject({ name: 'vigil/plan', head_sha: head, status: 'completed', conclusion: 'success', annotations: [] });
    expect(run.output.text).toContain('+ Recipient/northwind-vod');

    const comments = repo.comments.get(1) ?? [];
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body.startsWith(PLAN_MARKER)).toBe(true);
    expect(body).toMatch(/```diff\n[^`]*\+ Content\/iron-orchard[^`]*\+ Recipient\/northwind-vod[^`]*```/);
    expect(body).toContain('watermark ID 1001 allocated to Northwind-VOD');
    expect(body).toContain('Plan: ');
    expect(body).toContain(head);
  });

  it('fails the check on a broken catalog, annotating file and line, and edits the same comment in place', async () => {
    const head = sha(3);
    repo.commits.set(head, BROKEN);
    repo.pullFiles.set(1, ['catalog/recipients/partners.yaml', 'catalog/sites/broken.yaml']);
    const start = github.calls.length;

    const res = await send('pull_request', prPayload('synchronize', 1, head));

    expect(res.status).toBe(200);
    const run = repo.checkRuns.find((r) => r.head_sha === head);
    expect(run).toMatchObject({ name: 'vigil/plan', status: 'completed', conclusion: 'failure' });
    expect(run!.annotations).toEqual([
      expect.objectContaining({ path: 'catalog/recipients/partners.yaml', start_line: 15, end_line: 15, annotation_level: 'failure', title: 'Recipient/bluebird', message: expect.stringContaining('watermarkId 1001 is already held by Recipient/northwind-vod') }),
      expect.objectContaining({ path: 'catalog/sites/broken.yaml', start_line: 5, start_column: 7, annotation_level: 'failure', message: expect.stringContaining('invalid YAML') }),
    ]);

    // The same comment, edited: no second one.
    const calls = callsSince(start);
    expect(calls.filter((c) => c === `POST /repos/${OWNER}/${NAME}/issues/1/comments`)).toHaveLength(0);
    const comments = repo.comments.get(1) ?? [];
    expect(comments).toHaveLength(1);
    expect(calls).toContain(`PATCH /repos/${OWNER}/${NAME}/issues/comments/${comments[0]!.id}`);
    const body = comments[0]!.body;
    expect(body.startsWith(PLAN_MARKER)).toBe(true);
    expect(body).toContain('catalog/recipients/partners.yaml:15:16: Recipient/bluebird: watermarkId 1001 is already held');
    expect(body).toContain('catalog/sites/broken.yaml:5:7: yaml: invalid YAML');
    expect(body).toContain('Not planned');
    expect(body).toContain(head);
    expect(body).not.toContain('```diff');
  });

  it('sends more than 50 annotations in batches of at most 50, the conclusion with the last', async () => {
    const head = sha(4);
    // 60 recipients sharing one watermark ID: 59 errors.
    const many = Array.from({ length: 60 }, (_, i) => recipient(`r${i}`, `R${i}`, 2000)).join('---\n');
    repo.commits.set(head, { ...VALID, 'catalog/recipients/many.yaml': many });
    repo.pullFiles.set(2, ['catalog/recipients/many.yaml']);
    const start = github.calls.length;

    expect((await send('pull_request', prPayload('opened', 2, head))).status).toBe(200);

    const run = repo.checkRuns.find((r) => r.head_sha === head)!;
    expect(run.conclusion).toBe('failure');
    expect(run.annotations).toHaveLength(59);
    expect(new Set(run.annotations.map((a) => a.path))).toEqual(new Set(['catalog/recipients/many.yaml']));
    const patches = github.calls.slice(start).filter((c) => c.method === 'PATCH' && c.path.endsWith(`/check-runs/${run.id}`));
    const bodies = patches.map((c) => c.body as { conclusion?: string; output: { annotations?: unknown[] } });
    expect(bodies.map((b) => b.output.annotations?.length)).toEqual([50, 9]);
    expect(bodies.map((b) => b.conclusion)).toEqual([undefined, 'failure']);
  });

  it('rejects a change of a recorded watermark ID, planned against the live database', async () => {
    // The database already holds northwind-vod with watermark ID 1001 (as after a merge and apply).
    const applied = loadCatalog([{ path: 'recipients/partners.yaml', content: VALID['catalog/recipients/partners.yaml'] }]);
    await apply(services.db.pool, desiredState(applied.catalog), { source: 'test', actor: 'test' });
    const head = sha(5);
    repo.commits.set(head, { ...VALID, 'catalog/recipients/partners.yaml': recipient('northwind-vod', 'Northwind-VOD', 1009) });
    repo.pullFiles.set(3, ['catalog/recipients/partners.yaml']);

    expect((await send('pull_request', prPayload('opened', 3, head))).status).toBe(200);

    const run = repo.checkRuns.find((r) => r.head_sha === head)!;
    expect(run.conclusion).toBe('failure');
    expect(run.annotations).toEqual([expect.objectContaining({ path: 'catalog/recipients/partners.yaml', start_line: 7, annotation_level: 'failure' })]);
    expect(repo.comments.get(3)?.[0]?.body).toContain('1 rejected');
  });

  it('gives a PR that does not touch the catalog a neutral check run and no comment', async () => {
    const head = sha(6);
    repo.commits.set(head, VALID);
    repo.pullFiles.set(4, ['README.md', 'docs/catalog.md', 'catalogue/notes.yaml']);
    const start = github.calls.length;

    expect((await send('pull_request', prPayload('opened', 4, head))).status).toBe(200);

    const run = repo.checkRuns.find((r) => r.head_sha === head)!;
    expect(run).toMatchObject({ name: 'vigil/plan', status: 'completed', conclusion: 'neutral' });
    expect(run.output.title).toBe('No catalog changes');
    const calls = callsSince(start);
    expect(calls.some((c) => c.includes('/git/'))).toBe(false);
    expect(calls.filter((c) => c.startsWith('POST') && c.includes('/comments'))).toHaveLength(0);
    expect(repo.comments.get(4) ?? []).toHaveLength(0);
  });

  it('on a push that takes the catalog out of a PR, edits the plan comment to say so instead of leaving it stale', async () => {
    const head = sha(14);
    repo.commits.set(head, VALID);
    repo.pullFiles.set(1, ['README.md']);
    const before = repo.comments.get(1)?.[0]?.id;
    const start = github.calls.length;

    expect((await send('pull_request', prPayload('reopened', 1, head))).status).toBe(200);

    expect(repo.checkRuns.find((r) => r.head_sha === head)).toMatchObject({ name: 'vigil/plan', conclusion: 'neutral' });
    const comments = repo.comments.get(1) ?? [];
    expect(comments.map((c) => c.id)).toEqual([before]);
    expect(comments[0]!.body).toContain(`As of commit ${head} this pull request no longer changes \`catalog/\``);
    expect(callsSince(start).filter((c) => c.startsWith('POST') && c.includes('/comments'))).toHaveLength(0);
  });

  it('fails the check, rather than leave it running, when the catalog cannot be read', async () => {
    const head = sha(13); // a commit the fake GitHub does not have: the tree request gets 404
    repo.pullFiles.set(6, ['catalog/recipients/partners.yaml']);

    const res = await send('pull_request', prPayload('opened', 6, head));

    expect(res.status).toBe(500);
    const run = repo.checkRuns.find((r) => r.head_sha === head)!;
    expect(run).toMatchObject({ name: 'vigil/plan', status: 'completed', conclusion: 'failure' });
    expect(run.output.title).toBe('Vigil could not plan this commit');
    expect(repo.comments.get(6) ?? []).toHaveLength(0);
  });

  it('enqueues one reconcile job per push to the default branch, idempotent on re-delivery', async () => {
    const commit = sha(7);
    const delivery = crypto.randomUUID();
    expect((await send('push', pushPayload('refs/heads/main', commit), { delivery })).status).toBe(200);
    expect((await send('push', pushPayload('refs/heads/main', commit), { delivery })).status).toBe(200);
    // A push to another branch reconciles nothing.
    expect((await send('push', pushPayload('refs/heads/feature', sha(8)))).status).toBe(200);

    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.id).toBe(`github-push-${repository.id}-${commit}`);
    expect(job.data as ReconcilePayload).toEqual({ repo: repository.clone_url, branch: 'main', commit, trigger: 'github:push' });
  });

  it('refuses deliveries with a bad or missing signature with 4xx, and does nothing', async () => {
    const start = github.calls.length;
    const checkRuns = repo.checkRuns.length;
    const forged = `sha256=${'0'.repeat(64)}`;
    const badPr = await send('pull_request', prPayload('opened', 5, sha(9)), { signature: forged });
    const badPush = await send('push', pushPayload('refs/heads/main', sha(10)), { signature: forged });
    const unsigned = await send('push', pushPayload('refs/heads/main', sha(11)), { signature: null });
    const wrongSecret = await deliver(server.webhookUrl, 'push', pushPayload('refs/heads/main', sha(12)), { secret: 'not-the-secret' });

    for (const res of [badPr, badPush, unsigned, wrongSecret]) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    expect(github.calls.length).toBe(start);
    expect(repo.checkRuns.length).toBe(checkRuns);
    expect(await queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized')).toMatchObject({ waiting: 1 });
  });
});
