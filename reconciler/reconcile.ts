import type { Pool } from 'pg';
import type { Logger } from '../core/log.js';
import { apply, recordInvalidCatalog, type ApplyResult } from './apply.js';
import { loadCatalogDir } from '../core/catalog/load.js';
import { desiredState } from './desired.js';
import { hasErrors, type Diagnostic } from '../core/catalog/diagnostics.js';
import type { Checkout, GitCatalog } from './git-source.js';
import type { JobSchedulers } from './schedulers.js';

export interface ReconcileDeps {
  pool: Pool;
  schedulers?: JobSchedulers | undefined;
  log: Logger;
  /** VIGIL_SOURCE_ENV_PREFIX, for the catalog check on source credentials; the default when absent. */
  sourceEnvPrefix?: string;
}

export type ReconcileOutcome =
  | { status: 'applied'; commit: string; apply: ApplyResult; diagnostics: Diagnostic[] }
  | { status: 'invalid'; commit: string; diagnostics: Diagnostic[] };

/**
 * One reconcile of a git catalog at `commit` (already fetched into `checkout`): check it out,
 * validate, apply. An invalid catalog changes nothing that runs; it is recorded and reported.
 */
export async function reconcileCommit(
  deps: ReconcileDeps, catalog: GitCatalog, checkout: Checkout, actor: string, commit: string,
): Promise<ReconcileOutcome> {
  const dir = await checkout.checkout(commit);
  const loaded = await loadCatalogDir(dir, deps.sourceEnvPrefix === undefined ? {} : { sourceEnvPrefix: deps.sourceEnvPrefix });
  if (hasErrors(loaded.diagnostics)) {
    await recordInvalidCatalog(deps.pool, { source: catalog.repo, commit, actor, diagnostics: loaded.diagnostics });
    deps.log.warn({ commit, errors: loaded.diagnostics.filter((d) => d.severity === 'error').length }, 'catalog invalid; nothing applied');
    return { status: 'invalid', commit, diagnostics: loaded.diagnostics };
  }
  const result = await apply(deps.pool, desiredState(loaded.catalog), {
    commit, source: catalog.repo, actor, schedulers: deps.schedulers, log: deps.log,
  });
  return { status: 'applied', commit, apply: result, diagnostics: loaded.diagnostics };
}

export interface FollowOptions {
  intervalMs: number;
  /** Re-apply the same commit this often, to find and repair drift. */
  resyncMs: number;
  signal: AbortSignal;
  onOutcome?: (outcome: ReconcileOutcome) => void;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Follows a branch: reconciles each new commit, and the current one again every resync period. */
export async function follow(deps: ReconcileDeps, catalog: GitCatalog, checkout: Checkout, options: FollowOptions): Promise<void> {
  let lastCommit: string | undefined;
  let lastRun = 0;
  while (!options.signal.aborted) {
    try {
      const head = await checkout.fetch();
      if (head !== lastCommit || Date.now() - lastRun >= options.resyncMs) {
        const outcome = await reconcileCommit(deps, catalog, checkout, 'reconciler', head);
        lastCommit = head;
        lastRun = Date.now();
        options.onOutcome?.(outcome);
      }
    } catch (error) {
      // A failed fetch or apply is retried on the next tick; level-triggered, nothing is lost.
      deps.log.error({ err: error, repo: catalog.repo }, 'reconcile failed; retrying next interval');
    }
    await sleep(options.intervalMs, options.signal);
  }
}
