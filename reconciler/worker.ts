import { Worker, type Job } from 'bullmq';
import { bullConnection, classified } from '../core/bullmq.js';
import type { Config } from '../core/config.js';
import { VigilError } from '../core/errors.js';
import { QUEUES, type ReconcilePayload } from '../core/queues.js';
import type { RedisService } from '../core/redis.js';
import { openCheckout } from './git-source.js';
import { beginReconcileRun } from './requests.js';
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
  if (!text(p.repo) || !text(p.branch) || !text(p.trigger) || (p.pushedCommit !== undefined && !text(p.pushedCommit))) {
    throw new VigilError('JOB_PAYLOAD_INVALID', `a reconcile job needs { repo, branch, trigger: string; pushedCommit?: string }, got ${JSON.stringify(data)?.slice(0, 200)}`);
  }
  return { repo: p.repo, branch: p.branch, trigger: p.trigger, ...(p.pushedCommit === undefined ? {} : { pushedCommit: p.pushedCommit }) };
}

/**
 * Consumes reconcile requests (`requestReconcile`: GitHub pushes). Concurrency 1:
 * applies are serialized anyway by a database lock, and order matters for a branch. A request is
 * only "look again": each run applies the branch head as fetched now, whatever commit the push
 * named, so a redelivered old push applies nothing old.
 */
export function startReconcileWorker(deps: ReconcileDeps, redis: RedisService, config: Config): Worker<ReconcilePayload, ReconcileJobResult> {
  const epochs = redis.client();
  const worker = new Worker<ReconcilePayload, ReconcileJobResult>(
    QUEUES.reconcile,
    classified(async (job: Job<ReconcilePayload>) => {
      const { repo, branch, pushedCommit, trigger } = reconcilePayloadOf(job.data);
      const catalog = { repo, branch, path: config.github.catalogPath };
      // Before the fetch: a push that arrives from now on makes a new job rather than collapse into this one.
      await beginReconcileRun(epochs, config.queuePrefix, catalog);
      const checkout = await openCheckout(catalog, config.home);
      const head = await checkout.fetch();
      const log = deps.log.child({ queue: QUEUES.reconcile, jobId: job.id, repo, branch, head });
      if (pushedCommit && pushedCommit !== head) log.info({ pushedCommit }, 'the push named another commit; applying the branch head');
      const outcome = await reconcileCommit({ ...deps, log }, catalog, checkout, trigger, head);
      return {
        status: outcome.status,
        commit: outcome.commit,
        changes: outcome.status === 'applied' ? outcome.apply.plan.changes.length : 0,
        errors: outcome.diagnostics.filter((d) => d.severity === 'error').length,
      };
    }),
    { connection: bullConnection(redis), prefix: config.queuePrefix, concurrency: 1 },
  );
  worker.on('failed', (job, error) => deps.log.error({ queue: QUEUES.reconcile, jobId: job?.id, err: error }, 'reconcile job failed'));
  worker.on('closed', () => epochs.disconnect());
  return worker;
}
