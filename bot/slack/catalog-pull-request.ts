import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import type { Config } from '../../core/config.js';

/**
 * The one way the bot proposes a catalog change: through the GitHub App, a branch from the catalog
 * branch, one commit adding the files, and the pull request. Git stays the source of truth; what a
 * caller adds (a registration, an allow-list Site) is checked by the catalog's own validation before
 * it comes here. Safe to repeat: an open pull request of the same branch is reused, and a branch a
 * retry already made is pointed at the new commit.
 */

export type GitHubSettings = Config['github'];

export interface CatalogChange {
  /** Branch name, stable per request so a retry finds its own pull request. */
  branch: string;
  /** Path relative to the catalog root (settings.catalogPath) → file content. */
  files: Record<string, string>;
  commitMessage: string;
  title: string;
  body: string;
}

export type CatalogPullRequest =
  | { outcome: 'opened' | 'reused'; url: string; number: number; branch: string }
  /** A file to add is on the catalog branch already (a change merged before): nothing was pushed. */
  | { outcome: 'exists'; path: string; base: string };

type Repo = { owner: string; repo: string };

/** What is missing for a catalog pull request: the GitHub App and the catalog repository. */
export function missingGitHub(github: GitHubSettings | undefined): string[] {
  const missing: string[] = [];
  if (!github?.appId) missing.push('GITHUB_APP_ID');
  if (!github?.privateKey) missing.push('GITHUB_PRIVATE_KEY');
  if (!github?.catalogRepo?.fullName) missing.push('VIGIL_CATALOG_REPO (owner/name)');
  return missing;
}

/** The HTTP status a GitHub call failed with, if it got an answer. */
export function githubStatus(error: unknown): number | undefined {
  const s = (error as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

async function installationClient(settings: GitHubSettings, repo: Repo): Promise<Octokit> {
  const app = new Octokit({ baseUrl: settings.apiUrl, authStrategy: createAppAuth, auth: { appId: settings.appId!, privateKey: settings.privateKey! } });
  const { data } = await app.request('GET /repos/{owner}/{repo}/installation', repo);
  return new Octokit({ baseUrl: settings.apiUrl, authStrategy: createAppAuth, auth: { appId: settings.appId!, privateKey: settings.privateKey!, installationId: data.id } });
}

/** Needs settings.appId, privateKey and catalogRepo.fullName (missingGitHub says which are missing). */
export async function openCatalogChange(settings: GitHubSettings, change: CatalogChange): Promise<CatalogPullRequest> {
  const [owner, name] = settings.catalogRepo!.fullName!.split('/') as [string, string];
  const repo = { owner, repo: name };
  const octokit = await installationClient(settings, repo);
  const base = settings.catalogBranch ?? (await octokit.request('GET /repos/{owner}/{repo}', repo)).data.default_branch;
  const root = settings.catalogPath.replace(/^\/+|\/+$/g, '');
  const entries = Object.entries(change.files).map(([p, content]) => ({ path: root ? `${root}/${p}` : p, content }));
  const open = await octokit.request('GET /repos/{owner}/{repo}/pulls', { ...repo, head: `${owner}:${change.branch}`, state: 'open' });
  if (open.data[0]) return { outcome: 'reused', url: open.data[0].html_url, number: open.data[0].number, branch: change.branch };
  const head = (await octokit.request('GET /repos/{owner}/{repo}/git/ref/{ref}', { ...repo, ref: `heads/${base}` })).data.object.sha;
  for (const { path } of entries) {
    try {
      await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { ...repo, path, ref: base });
      return { outcome: 'exists', path, base };
    } catch (error) {
      if (githubStatus(error) !== 404) throw error;
    }
  }
  const tree = await octokit.request('POST /repos/{owner}/{repo}/git/trees', {
    ...repo, base_tree: head, tree: entries.map(({ path, content }) => ({ path, mode: '100644' as const, type: 'blob' as const, content })),
  });
  const commit = await octokit.request('POST /repos/{owner}/{repo}/git/commits', { ...repo, message: change.commitMessage, tree: tree.data.sha, parents: [head] });
  try {
    await octokit.request('POST /repos/{owner}/{repo}/git/refs', { ...repo, ref: `refs/heads/${change.branch}`, sha: commit.data.sha });
  } catch (error) {
    // A retry after the branch was made: point it at this commit.
    if (githubStatus(error) !== 422) throw error;
    await octokit.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', { ...repo, ref: `heads/${change.branch}`, sha: commit.data.sha, force: true });
  }
  const pull = await octokit.request('POST /repos/{owner}/{repo}/pulls', { ...repo, head: change.branch, base, title: change.title, body: change.body });
  return { outcome: 'opened', url: pull.data.html_url, number: pull.data.number, branch: change.branch };
}
