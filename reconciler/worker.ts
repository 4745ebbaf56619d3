import { Worker, type Job } from 'bullmq';
import { bullConnection, classified } from '../core/bullmq.js';
import type { Config } from '../core/config.js';
import { VigilError } from '../core/errors.js';
import { QUEUES, type ReconcilePayload } from '../core/queues.js';
import type { RedisService } from '../core/redis.js';
import { openCheckout } from './git-source.js';
import { reconcileCommit, type ReconcileDeps, type ReconcileOutcome } from './reconcile.js';

export interface ReconcileJobResult {
  status: ReconcileOutcome['status'];
  commit: string;
  changes: number;
  errors: number;
}

/** The payload is checked once, here at the edge: a wrong one fails at once, without retries. */
function reconcilePayloadOf(data: unknown): ReconcilePayload {
  const p = (data ?? {}) as Partial<ReconcilePayload>;
  const text = (v: unknown): v is string => typeof v === 'string' && v !== '';
  if (!text(p.repo) || !text(p.branch) || !text(p.trigger) || (p.commit !== undefined && !text(p.commit))) {
    throw new VigilError('JOB_PAYLOAD_INVALID', `a reconcile job needs { repo, branch, trigger: string; commit?: string }, got ${JSON.stringify(data)?.slice(0, 200)}`);
  }
  return { repo: p.repo, branch: p.branch, trigger: p.trigger, ...(p.commit === undefined ? {} : { commit: p.commit }) };
}

/**
 * Consumes reconcile requests (from GitHub pushes or `vigil reconcile --enqueue`). Concurrency 1:
 * applies are serialized anyway by a database lock, and order matters for a branch.
 */
export function startReconcileWorker(deps: ReconcileDeps, redis: RedisService, config: Config): Worker<ReconcilePayload, ReconcileJobResult> {
  const worker = new Worker<ReconcilePayload, ReconcileJobResult>(
    QUEUES.reconcile,
    classified(async (job: Job<ReconcilePayload>) => {
      const { repo, branch, commit, trigger } = reconcilePayloadOf(job.data);
      const catalog = { repo, branch, path: config.github.catalogPath };
      const checkout = await openCheckout(catalog, config.home);
      // Fetch first: the pushed commit (or, without one, the branch head) must be in the checkout.
      const head = await checkout.fetch();
      const outcome = await reconcileCommit({ ...deps, log: deps.log.child({ job: job.id, repo, commit }) }, catalog, checkout, trigger, commit ?? head);
      return {
        status: outcome.status,
        commit: outcome.commit,
        changes: outcome.status === 'applied' ? outcome.apply.plan.changes.length : 0,
        errors: outcome.diagnostics.filter((d) => d.severity === 'error').length,
      };
    }),
    { connection: bullConnection(redis), prefix: config.queuePrefix, concurrency: 1 },
  );
  worker.on('failed', (job, error) => deps.log.error({ job: job?.id, err: error }, 'reconcile job failed'));
  return worker;
}
