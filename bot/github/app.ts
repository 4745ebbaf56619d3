import type { Redis } from 'ioredis';
import type { Context, Probot, ProbotOctokit } from 'probot';
import { isVigilError } from '../../core/errors.js';
import type { ReconcilePayload } from '../../core/queues.js';
import { requestReconcile, type ReconcileQueue } from '../../reconciler/requests.js';
import { loadActualState } from '../../reconciler/store.js';
import { normalizeCatalogPath, touchesCatalog } from './catalog-path.js';
import { pullRequestFiles, readCatalogAt, type RepoRef } from './catalog-files.js';
import { CHECK_NAME, completionUpdates, erroredCompletion, notTouchedCompletion, type CheckRunUpdate } from './check-run.js';
import { isPlanComment, noCatalogComment, planComment } from './comment.js';
import { followsRepository, type FollowedCatalog } from './follow.js';
import { buildReport } from './report.js';
import { redisWebhookMemory, type WebhookMemory } from './webhook-memory.js';

export interface GitHubAppDeps {
  /** The live database the plan is made against. */
  pool: Parameters<typeof loadActualState>[0];
  reconcileQueue: ReconcileQueue;
  /** Redis for reconcile requests and the delivery ids already handled; the caller owns it. */
  redis: Redis;
  /** Key prefix in Redis (config queuePrefix), shared with the reconcile worker. */
  queuePrefix: string;
  /** The one repository and branch the App acts on (VIGIL_CATALOG_REPO, VIGIL_CATALOG_BRANCH). */
  catalog: FollowedCatalog;
  /** Catalog directory inside the repository (config github.catalogPath). */
  catalogPath: string;
  /** The prefix a source's apiKeyEnv must carry (config sourceEnvPrefix), so a PR is checked as apply will check it. */
  sourceEnvPrefix: string;
  now?: () => Date;
}

/** Pull request actions that bring new commits to plan. */
export const PULL_REQUEST_EVENTS = ['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'] as const;

async function updateCheckRun(octokit: ProbotOctokit, ref: RepoRef, checkRunId: number, update: CheckRunUpdate): Promise<void> {
  await octokit.rest.checks.update({ ...ref, check_run_id: checkRunId, ...update });
}

/** Edits Vigil's plan comment in place, or creates it when `create` and there is none yet. */
async function upsertPlanComment(octokit: ProbotOctokit, ref: RepoRef & { issue_number: number }, body: string, create: boolean): Promise<'created' | 'updated' | 'none'> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...ref, per_page: 100 });
  // Only a bot's comment can be ours; a person who pastes the marker does not get their comment edited.
  const existing = comments.find((c) => isPlanComment(c.body) && c.user?.type === 'Bot');
  if (existing) {
    await octokit.rest.issues.updateComment({ owner: ref.owner, repo: ref.repo, comment_id: existing.id, body });
    return 'updated';
  }
  if (!create) return 'none';
  await octokit.rest.issues.createComment({ ...ref, body });
  return 'created';
}

/**
 * The branch to act on when the delivery is from the catalog repository; otherwise logs why not
 * (ids only, never the payload) and returns undefined.
 */
async function followedBranch(context: Context<'pull_request' | 'push'>, deps: GitHubAppDeps, memory: WebhookMemory): Promise<string | undefined> {
  const repository = context.payload.repository;
  const ignored = { event: context.name, delivery: context.id, repositoryId: repository.id };
  const verdict = followsRepository(deps.catalog, repository, await memory.repositoryId());
  if (!verdict.follow) {
    context.log.info({ ...ignored, reason: verdict.reason }, 'delivery from a repository Vigil does not follow; ignored');
    return undefined;
  }
  // The first delivery that matches fixes the id; a same-named repository made later is someone else's.
  const pinned = await memory.pinRepositoryId(repository.id);
  if (pinned !== repository.id) {
    context.log.info({ ...ignored, pinnedId: pinned }, 'delivery from a repository with the catalog\'s name but another id; ignored');
    return undefined;
  }
  return verdict.branch;
}

async function onPullRequest(context: Context<'pull_request'>, deps: GitHubAppDeps, memory: WebhookMemory): Promise<void> {
  const branch = await followedBranch(context, deps, memory);
  if (branch === undefined) return;
  const base = context.payload.pull_request.base.ref;
  if (base !== branch) {
    context.log.info({ delivery: context.id, pr: context.payload.pull_request.number, base, branch }, 'pull request into a branch Vigil does not reconcile; ignored');
    return;
  }
  // GitHub redelivers with the same id (and may send one twice): the second copy does nothing.
  if (!(await memory.claimDelivery(context.id))) {
    context.log.info({ delivery: context.id, pr: context.payload.pull_request.number }, 'delivery already handled; nothing done');
    return;
  }
  try {
    await planPullRequest(context, deps);
  } catch (error) {
    // A failed delivery must stay retryable: GitHub's (or a person's) redelivery plans it again.
    await memory.releaseDelivery(context.id).catch((e: unknown) => context.log.warn({ err: e, delivery: context.id }, 'could not forget a failed delivery'));
    throw error;
  }
}

async function planPullRequest(context: Context<'pull_request'>, deps: GitHubAppDeps): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const catalogPath = normalizeCatalogPath(deps.catalogPath);
  const { octokit, log } = context;
  const pr = context.payload.pull_request;
  const ref: RepoRef = { owner: context.payload.repository.owner.login, repo: context.payload.repository.name };
  const sha = pr.head.sha;
  const issue = { ...ref, issue_number: pr.number };
  const changed = await pullRequestFiles(octokit, { ...ref, pull_number: pr.number });

  if (!touchesCatalog(changed, catalogPath)) {
    await octokit.rest.checks.create({ ...ref, name: CHECK_NAME, head_sha: sha, ...notTouchedCompletion(catalogPath, now()) });
    // A plan comment from an earlier push would now be stale; never start one here.
    await upsertPlanComment(octokit, issue, noCatalogComment(sha, catalogPath), false);
    log.info({ pr: pr.number, sha, changed: changed.length }, 'pull request does not touch the catalog');
    return;
  }

  const created = await octokit.rest.checks.create({ ...ref, name: CHECK_NAME, head_sha: sha, status: 'in_progress', started_at: now().toISOString() });
  const checkRunId = created.data.id;
  try {
    const read = await readCatalogAt(octokit, { ...ref, sha, catalogPath });
    const actual = await loadActualState(deps.pool);
    const report = buildReport({ commit: sha, catalogPath, files: read.files, readDiagnostics: read.diagnostics, actual, now: now(), sourceEnvPrefix: deps.sourceEnvPrefix });
    for (const update of completionUpdates(report, now())) await updateCheckRun(octokit, ref, checkRunId, update);
    const comment = await upsertPlanComment(octokit, issue, planComment(report), true);
    log.info({ pr: pr.number, sha, checkRunId, errors: report.errors, warnings: report.warnings, comment }, 'catalog planned');
  } catch (error) {
    // Never leave the check spinning; a person sees why, and GitHub sees the 500 and may redeliver.
    const message = isVigilError(error) ? `${error.code}: ${error.message}` : `internal error (delivery ${context.id}); see the Vigil server log`;
    await updateCheckRun(octokit, ref, checkRunId, erroredCompletion(message, now())).catch((e: unknown) => log.warn({ err: e }, 'could not mark the check run as failed'));
    // Without a status of its own the delivery is answered 500 (an API 404 passed through would read as a wrong webhook URL).
    throw new Error(`planning ${ref.owner}/${ref.repo}#${pr.number} at ${sha} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

async function onPush(context: Context<'push'>, deps: GitHubAppDeps, memory: WebhookMemory): Promise<void> {
  const { payload, log } = context;
  const branch = await followedBranch(context, deps, memory);
  if (branch === undefined) return;
  if (payload.ref !== `refs/heads/${branch}` || payload.deleted) {
    log.info({ delivery: context.id, ref: payload.ref, branch, deleted: payload.deleted }, 'push to another branch, or a deletion; nothing to reconcile');
    return;
  }
  // Only "look again": the worker applies the branch head, so this push's commit is a hint for the log.
  const data: ReconcilePayload = { repo: deps.catalog.repo.cloneUrl, branch, pushedCommit: payload.after, trigger: 'github:push' };
  const jobId = await requestReconcile(deps.reconcileQueue, deps.redis, deps.queuePrefix, data);
  log.info({ delivery: context.id, repositoryId: payload.repository.id, branch, pushedCommit: payload.after, jobId }, 'reconcile requested');
}

/**
 * The Probot app: plans pull requests into the catalog branch, and asks for a reconcile on each push
 * to it; deliveries from any other repository or branch do nothing.
 */
export function vigilGitHubApp(deps: GitHubAppDeps): (app: Probot) => void {
  const memory = redisWebhookMemory(deps.redis, deps.queuePrefix);
  return (app) => {
    app.on([...PULL_REQUEST_EVENTS], (context) => onPullRequest(context, deps, memory));
    app.on('push', (context) => onPush(context, deps, memory));
  };
}
