import { createHmac, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../../core/bullmq.js';
import { parseCatalogRepo } from '../../../core/catalog-repo.js';
import { createLogger } from '../../../core/log.js';
import { QUEUES, type ReconcilePayload } from '../../../core/queues.js';
import { reconcileJobId } from '../../../core/queues.js';
import { MAX_WEBHOOK_BODY_BYTES } from '../../../bot/github/body.js';
import { PLAN_MARKER } from '../../../bot/github/comment.js';
import { startGitHubServer, type GitHubServer } from '../../../bot/github/server.js';
import { apply } from '../../../reconciler/apply.js';
import { loadCatalog } from '../../../core/catalog/load.js';
import { desiredState } from '../../../reconciler/desired.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { deliver, INSTALLATION_TOKEN, startFakeGitHub, type FakeRepo } from './fake-github.js';

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
let redis: Redis;

const CATALOG_REPO = parseCatalogRepo('VIGIL_CATALOG_REPO', `${OWNER}/${NAME}`, 'https://api.github.com')!;

beforeAll(async () => {
  services = await openTestServices();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  github = await startFakeGitHub({ appId: APP_ID, publicKey });
  repo = github.addRepo(OWNER, NAME);
  queue = openQueue(QUEUES.reconcile, services.redis, services.config.queuePrefix);
  redis = services.redis.client();
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
    redis,
    queuePrefix: services.config.queuePrefix, sourceEnvPrefix: services.config.sourceEnvPrefix,
    catalog: { repo: CATALOG_REPO, branch: undefined },
    throttle: false,
  });
});

afterAll(async () => {
  await server?.close();
  await queue?.close();
  redis?.disconnect();
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

  it('asks for one reconcile of the catalog branch per push, collapsing re-deliveries, carrying no commit to apply', async () => {
    const commit = sha(7);
    const delivery = crypto.randomUUID();
    expect((await send('push', pushPayload('refs/heads/main', commit), { delivery })).status).toBe(200);
    expect((await send('push', pushPayload('refs/heads/main', commit), { delivery })).status).toBe(200);
    // A later push before any run started: the pending job will fetch the head, which has it.
    expect((await send('push', pushPayload('refs/heads/main', sha(15)))).status).toBe(200);
    // A push to another branch reconciles nothing.
    expect((await send('push', pushPayload('refs/heads/feature', sha(8)))).status).toBe(200);

    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.id).toBe(reconcileJobId({ repo: CATALOG_REPO.cloneUrl, branch: 'main' }, 0));
    expect(job.data as ReconcilePayload).toEqual({ repo: CATALOG_REPO.cloneUrl, branch: 'main', pushedCommit: commit, trigger: 'github:push' });
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

  it('does nothing for deliveries from another repository, the same name under another owner, or a re-created repository', async () => {
    // Earlier deliveries from acme/catalog-repo fixed its id (9001); start from an empty queue.
    await queue.drain(true);
    const start = github.calls.length;
    const checkRuns = repo.checkRuns.length;
    const other = { ...repository, id: 9002, name: 'other', full_name: `${OWNER}/other`, clone_url: `https://github.com/${OWNER}/other.git` };
    const otherOwner = { ...repository, id: 666, owner: { login: 'mallory', id: 6, type: 'User' }, full_name: `mallory/${NAME}`, clone_url: `https://github.com/mallory/${NAME}.git` };
    const recreated = { ...repository, id: 31337 };
    const head = sha(18);
    repo.commits.set(head, VALID);
    repo.pullFiles.set(9, ['catalog/recipients/partners.yaml']);

    for (const forged of [other, otherOwner, recreated]) {
      expect((await send('push', { ...pushPayload('refs/heads/main', sha(19)), repository: forged })).status).toBe(200);
      expect((await send('pull_request', { ...prPayload('opened', 9, head), repository: forged })).status).toBe(200);
    }
    // The right repository, but a pull request into another branch: not what Vigil reconciles.
    const intoFeature = prPayload('opened', 9, head);
    expect((await send('pull_request', { ...intoFeature, pull_request: { ...intoFeature.pull_request, base: { sha: sha(1), ref: 'feature' } } })).status).toBe(200);

    expect(await queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized')).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0, prioritized: 0 });
    expect(github.calls.length).toBe(start);
    expect(repo.checkRuns.length).toBe(checkRuns);

    // The catalog repository itself still gets its reconcile, of the configured clone URL.
    expect((await send('push', pushPayload('refs/heads/main', sha(19)))).status).toBe(200);
    expect((await queue.getJobs(['waiting'])).map((j) => (j.data as ReconcilePayload).repo)).toEqual([CATALOG_REPO.cloneUrl]);
  });

  it('does no work twice for a replayed pull request delivery (same X-GitHub-Delivery)', async () => {
    const head = sha(16);
    repo.commits.set(head, VALID);
    repo.pullFiles.set(7, ['catalog/recipients/partners.yaml']);
    const delivery = crypto.randomUUID();

    expect((await send('pull_request', prPayload('opened', 7, head), { delivery })).status).toBe(200);
    const afterFirst = github.calls.length;
    expect(repo.checkRuns.filter((r) => r.head_sha === head)).toHaveLength(1);
    expect(repo.comments.get(7) ?? []).toHaveLength(1);

    expect((await send('pull_request', prPayload('opened', 7, head), { delivery })).status).toBe(200);

    // Not one call: no token, no second check run, no comment listed or edited.
    expect(callsSince(afterFirst)).toEqual([]);
    expect(repo.checkRuns.filter((r) => r.head_sha === head)).toHaveLength(1);
  });

  it('plans a failed delivery again when GitHub redelivers it with the same id', async () => {
    const head = sha(17); // not yet known to the fake GitHub: the first attempt fails
    repo.pullFiles.set(8, ['catalog/recipients/partners.yaml']);
    const delivery = crypto.randomUUID();
    expect((await send('pull_request', prPayload('opened', 8, head), { delivery })).status).toBe(500);

    repo.commits.set(head, VALID);
    expect((await send('pull_request', prPayload('opened', 8, head), { delivery })).status).toBe(200);

    expect(repo.checkRuns.filter((r) => r.head_sha === head).map((r) => r.conclusion)).toEqual(['failure', 'success']);
    expect(repo.comments.get(8) ?? []).toHaveLength(1);
  });

  it('answers 413 to a body over the cap, declared or chunked, without reading it to the end or checking its signature', async () => {
    const start = github.calls.length;
    const declared = await postOversized(server.webhookUrl, { declaredLength: MAX_WEBHOOK_BODY_BYTES + 1, limit: MAX_WEBHOOK_BODY_BYTES + 1 });
    expect(declared.status).toBe(413);
    // Only the first chunk went out before the answer: the server read nothing of the body.
    expect(declared.finished).toBe(false);

    const chunked = await postOversized(server.webhookUrl, { limit: 64 * 1024 * 1024 });
    expect(chunked.status).toBe(413);
    expect(chunked.finished).toBe(false);

    expect(github.calls.length).toBe(start);
    expect((await queue.getJobs(['waiting'])).map((j) => (j.data as ReconcilePayload).pushedCommit)).toEqual([sha(19)]);
  });
});

/**
 * Posts a push delivery whose body never ends (or declares a Content-Length over the cap) and keeps
 * writing until the server answers: `finished` says whether the whole `limit` went out first.
 */
async function postOversized(url: string, options: { declaredLength?: number; limit: number }): Promise<{ status: number | undefined; finished: boolean }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID(), 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
  };
  if (options.declaredLength !== undefined) headers['content-length'] = String(options.declaredLength);
  const req = request(url, { method: 'POST', headers });
  let status: number | undefined;
  let ended = false;
  const answered = new Promise<void>((resolve) => {
    req.on('response', (res) => {
      status = res.statusCode;
      res.resume();
      resolve();
    });
    // The server closes the connection after answering; a write after that fails, which is the point.
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  }).then(() => (ended = true));
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  chunk.write('{"ref":"refs/heads/main","padding":"');
  let sent = 0;
  while (!ended && sent < options.limit) {
    const room = req.write(chunk);
    sent += chunk.length;
    if (!room) await Promise.race([once(req, 'drain'), answered]);
  }
  const finished = sent >= options.limit && !ended;
  if (!ended) await answered;
  req.destroy();
  return { status, finished };
}

describe('what the GitHub App logs', () => {
  it('logs neither payloads nor signatures, whether a delivery is planned, refused or fails', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(chunk.toString('utf8')); done(); } });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const logGitHub = await startFakeGitHub({ appId: APP_ID, publicKey });
    const logRepo = logGitHub.addRepo(OWNER, NAME);
    // The real logger at its most verbose, so that nothing Probot or Octokit might write escapes the check.
    const logged = await startGitHubServer({
      port: 0, appId: APP_ID, privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), secret: SECRET,
      baseUrl: logGitHub.url, catalogPath: 'catalog', pool: services.db.pool, reconcileQueue: queue, redis,
      queuePrefix: services.config.queuePrefix, sourceEnvPrefix: services.config.sourceEnvPrefix, catalog: { repo: CATALOG_REPO, branch: undefined }, throttle: false,
      log: createLogger('trace', 'vigil', { format: 'json', write: (line) => sink.write(line) }),
    });
    try {
      const secretWords = ['Zanzibar-Quokka-Title', 'Xylophone-Marmot-Body', 'Kumquat-Sender'];
      const pr = (number: number, head: string) => {
        const p = prPayload('opened', number, head);
        return { ...p, pull_request: { ...p.pull_request, title: secretWords[0], body: secretWords[1] }, sender: { login: secretWords[2], type: 'User' } };
      };
      const planned = sha(20);
      logRepo.commits.set(planned, VALID);
      logRepo.pullFiles.set(1, ['catalog/recipients/partners.yaml']);
      logRepo.pullFiles.set(2, ['catalog/recipients/partners.yaml']); // its head (sha 21) is unknown: planning fails
      const deliveries = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
      const signatures = [pr(1, planned), pr(2, sha(21)), { ...pushPayload('refs/heads/main', sha(22)), head_commit: { message: secretWords[1] } }]
        .map((p) => `sha256=${createHmac('sha256', SECRET).update(JSON.stringify(p)).digest('hex')}`);

      const ok = await deliver(logged.webhookUrl, 'pull_request', pr(1, planned), { secret: SECRET, delivery: deliveries[0] });
      const failed = await deliver(logged.webhookUrl, 'pull_request', pr(2, sha(21)), { secret: SECRET, delivery: deliveries[1] });
      const pushed = await deliver(logged.webhookUrl, 'push', { ...pushPayload('refs/heads/main', sha(22)), head_commit: { message: secretWords[1] } }, { secret: SECRET, delivery: deliveries[2] });
      const forged = await deliver(logged.webhookUrl, 'pull_request', pr(1, planned), { secret: 'not-the-secret', delivery: deliveries[3] });
      expect([ok.status, failed.status, pushed.status, forged.status]).toEqual([200, 500, 200, 400]);

      const text = lines.join('');
      // It did log each delivery, by id...
      for (const id of deliveries) expect(text).toContain(id);
      // ...and never what was in it, its signature (or the one forged) or the installation token.
      for (const word of secretWords) expect(text).not.toContain(word);
      for (const signature of signatures) expect(text).not.toContain(signature.slice('sha256='.length));
      expect(text).not.toContain('0'.repeat(64));
      expect(text).not.toContain(INSTALLATION_TOKEN);
      expect(text.toLowerCase()).not.toContain('x-hub-signature');
    } finally {
      await logged.close();
      await logGitHub.close();
    }
  });
});
