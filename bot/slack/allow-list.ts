import type { Job } from 'bullmq';
import { stringify } from 'yaml';
import { formatDiagnostic, hasErrors } from '../../core/catalog/diagnostics.js';
import { loadCatalog } from '../../core/catalog/load.js';
import type { SiteSpec } from '../../core/catalog/types.js';
import { allowListProposal, hostIsKnownSite, ignoredFindingsOf, recordAllowListPull } from '../../core/db/allow-list-proposals.js';
import { findingById } from '../../core/db/findings.js';
import { VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { AllowListProposalPayload } from '../../core/queues.js';
import { redactedMessage } from '../../core/redact.js';
import { githubStatus, missingGitHub, openCatalogChange } from './catalog-pull-request.js';
import type { SlackDeps } from './deps.js';

/**
 * The slack-queue job 'allow-list-proposal': a host people ignored, which is no catalog Site, is
 * proposed as a legitimate Site (`sites/allow-HOST.yaml`) in a catalog pull request, with the
 * finding, the person and their reason in its body. The proposal is a record
 * (core/db/allow-list-proposals.ts) until the pull request is open: without a GitHub App this is
 * logged once and the proposal waits; the next Ignore of the host asks again.
 */

export const ALLOW_LIST_JOB = 'allow-list-proposal';

export type AllowListResult =
  | { status: 'opened' | 'reused'; url: string; number: number }
  | { status: 'already-open'; url: string }
  | { status: 'pending'; missing: string[] }
  | { status: 'skipped'; why: string }
  | { status: 'failed'; code: string };

/** A catalog id for the Site: 'allow-' and the host's labels, as metadata ids allow (63 characters, a-z0-9-). */
export function allowListSiteId(host: string): string {
  return `allow-${host.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.slice(0, 63).replace(/-+$/, '');
}

/** The file the pull request adds, path relative to the catalog root. */
export function allowListSiteFile(host: string, findingId: number): { siteId: string; path: string; yaml: string } {
  const siteId = allowListSiteId(host);
  const spec: SiteSpec = { type: 'legitimate', domains: [host] };
  const yaml = `# yaml-language-server: $schema=../../schemas/catalog.schema.json\n# Proposed by Vigil after finding #${findingId} on ${host} was ignored as no leak.\n`
    + stringify({ apiVersion: 'vigil/v1', kind: 'Site', metadata: { id: siteId, name: `${host} (allow-list)` }, spec }, { lineWidth: 0 });
  return { siteId, path: `sites/allow-${host}.yaml`, yaml };
}

/** Text from pirate pages and people, as inline code in the pull request's Markdown: one line, no backticks. */
function code(text: string, max = 300): string {
  const one = text.replace(/[\u0000-\u001f\u007f\u2028\u2029\u202a-\u202e\u2066-\u2069`]/g, ' ').slice(0, max);
  return `\`${one}\``;
}

function payloadOf(data: unknown): AllowListProposalPayload {
  const host = (data as Partial<AllowListProposalPayload> | null)?.host;
  if (typeof host !== 'string' || !/^[a-z0-9.-]{1,253}$/.test(host)) {
    throw new VigilError('JOB_PAYLOAD_INVALID', `an allow-list-proposal job needs { host: a lower-case host name }, got ${JSON.stringify(data)?.slice(0, 200)}`);
  }
  return { host };
}

/** Loggers already told that the GitHub App is missing: once per process, not once per Ignore. */
const toldNoGitHub = new WeakSet<Logger>();

export async function processAllowListProposal(job: Job, deps: SlackDeps): Promise<AllowListResult> {
  const { host } = payloadOf(job.data);
  const log = deps.log.child({ host, jobId: job.id });
  const proposal = await allowListProposal(deps.pool, host);
  if (!proposal) return { status: 'skipped', why: `no allow-list proposal for ${host}` };
  if (proposal.pull) return { status: 'already-open', url: proposal.pull.url };
  if (await hostIsKnownSite(deps.pool, host)) return { status: 'skipped', why: `${host} is a catalog Site now` };
  const missing = missingGitHub(deps.github);
  if (missing.length > 0) {
    if (!toldNoGitHub.has(deps.log)) {
      toldNoGitHub.add(deps.log);
      deps.log.warn({ host, missing }, `allow-list proposals wait: opening their catalog pull requests needs the GitHub App (${missing.join(', ')}); each is kept and asked for again at the next Ignore of its host`);
    }
    return { status: 'pending', missing };
  }
  const finding = await findingById(deps.pool, proposal.findingId);
  const others = (await ignoredFindingsOf(deps.pool, host)).filter((f) => f.id !== proposal.findingId);
  const file = allowListSiteFile(host, proposal.findingId);
  try {
    const loaded = loadCatalog([{ path: file.path, content: file.yaml }]);
    if (hasErrors(loaded.diagnostics)) {
      throw new VigilError('ALLOW_LIST_PROPOSAL_FAILED', `the allow-list Site for ${host} does not validate:\n${loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d)).join('\n')}`);
    }
    const body = [
      `Adds Site \`${file.siteId}\` (type legitimate, domain \`${host}\`) to the allow-list, so Vigil no longer reports or takes down links there.`,
      '',
      'Proposed because a person ignored a finding on this host:',
      `- finding #${proposal.findingId}${finding ? ` ${code(finding.url)} (${finding.contentId})` : ''}, ignored by ${code(proposal.proposedBy, 80)}: ${code(proposal.reason)}`,
      ...(others.length > 0 ? ['', `Also ignored on ${host}: ${others.map((f) => `#${f.id} ${code(f.url, 160)}`).join(', ')}`] : []),
      '',
      `Merge it if ${host} is a legitimate service; close it if the Ignore was a one-off.`,
    ].join('\n');
    const pull = await openCatalogChange(deps.github!, {
      branch: `vigil/allow-${host}`,
      files: { [file.path]: file.yaml },
      commitMessage: `Allow-list ${host} (Site ${file.siteId})\n\nProposed by Vigil after finding #${proposal.findingId} was ignored by ${proposal.proposedBy}.`,
      title: `Allow-list ${host}`,
      body,
    });
    if (pull.outcome === 'exists') {
      log.info({ path: pull.path, base: pull.base }, 'allow-list Site already on the catalog branch; no pull request needed');
      return { status: 'skipped', why: `${pull.path} is on ${pull.base} already` };
    }
    await recordAllowListPull(deps.pool, host, pull);
    log.info({ url: pull.url, number: pull.number }, 'allow-list pull request open');
    return { status: pull.outcome, url: pull.url, number: pull.number };
  } catch (error) {
    const status = githubStatus(error);
    // GitHub refusing (401/403/404/422) will refuse again: logged, the proposal kept. A 5xx or network fault is retried.
    const failure = error instanceof VigilError ? error
      : status !== undefined && status < 500 ? new VigilError('ALLOW_LIST_PROPOSAL_FAILED', `GitHub refused the allow-list pull request for ${host} (${status}: ${redactedMessage(error)})`) : undefined;
    if (!failure) throw error;
    log.warn({ code: failure.code, err: { message: redactedMessage(failure) } }, 'allow-list pull request not opened');
    return { status: 'failed', code: failure.code };
  }
}
