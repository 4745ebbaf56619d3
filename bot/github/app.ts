import type { Context, Probot, ProbotOctokit } from 'probot';
import { isVigilError } from '../../core/errors.js';
import { reconcileJobId, type ReconcilePayload } from '../../core/queues.js';
import { loadActualState } from '../../reconciler/store.js';
import { normalizeCatalogPath, touchesCatalog } from './catalog-path.js';
import { pullRequestFiles, readCatalogAt, type RepoRef } from './catalog-files.js';
import { CHECK_NAME, completionUpdates, erroredCompletion, notTouchedCompletion, type CheckRunUpdate } from './check-run.js';
import { isPlanComment, noCatalogComment, planComment } from './comment.js';
import { buildReport } from './report.js';

/** The part of a BullMQ Queue the app uses; the real one comes from openQueue(QUEUES.reconcile, ...). */
export interface ReconcileQueue {
  add(name: string, data: ReconcilePayload, opts: { jobId: string; removeOnComplete?: { age: number } }): Promise<unknown>;
}

export interface GitHubAppDeps {
  /** The live database the plan is made against. */
  pool: Parameters<typeof loadActualState>[0];
  reconcileQueue: ReconcileQueue;
  /** Catalog directory inside the repository (config github.catalogPath). */
  catalogPath: string;
  now?: () => Date;
}

/** Pull request actions that bring new commits to plan. */
export const PULL_REQUEST_EVENTS = ['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'] as const;

/** Keep finished reconcile jobs as long as GitHub may redeliver their push (a few days). */
const KEEP_FINISHED_S = 7 * 24 * 3600;

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

async function onPullRequest(context: Context<'pull_request'>, deps: GitHubAppDeps): Promise<void> {
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
    const report = buildReport({ commit: sha, catalogPath, files: read.files, readDiagnostics: read.diagnostics, actual, now: now() });
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

async function onPush(context: Context<'push'>, deps: GitHubAppDeps): Promise<void> {
  const { payload, log } = context;
  const branch = payload.repository.default_branch;
  if (payload.ref !== `refs/heads/${branch}` || payload.deleted || /^0+$/.test(payload.after)) return;
  const data: ReconcilePayload = { repo: payload.repository.clone_url, branch, commit: payload.after, trigger: 'github:push' };
  const jobId = reconcileJobId(payload.repository.id, payload.after);
  await deps.reconcileQueue.add('reconcile', data, { jobId, removeOnComplete: { age: KEEP_FINISHED_S } });
  log.info({ repo: payload.repository.full_name, branch, commit: payload.after, jobId }, 'reconcile enqueued');
}

/** The Probot app: plans catalog pull requests, and enqueues a reconcile for each push to the default branch. */
export function vigilGitHubApp(deps: GitHubAppDeps): (app: Probot) => void {
  return (app) => {
    app.on([...PULL_REQUEST_EVENTS], (context) => onPullRequest(context, deps));
    app.on('push', (context) => onPush(context, deps));
  };
}
