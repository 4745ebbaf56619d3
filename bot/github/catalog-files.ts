import type { ProbotOctokit } from 'probot';
import { VigilError } from '../../core/errors.js';
import type { SourceFile } from '../../core/catalog/parse.js';
import { PARSE_LIMITS } from '../../core/catalog/parse.js';
import { diagnostic, type Diagnostic } from '../../core/catalog/diagnostics.js';
import { catalogRelative } from './catalog-path.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

/** Blobs fetched at once: enough to be quick, few enough to stay clear of GitHub's secondary limits. */
const BLOB_CONCURRENCY = 6;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Paths of every file a pull request changes (both sides of a rename), across all pages. */
export async function pullRequestFiles(octokit: ProbotOctokit, ref: RepoRef & { pull_number: number }): Promise<string[]> {
  const files = await octokit.paginate(octokit.rest.pulls.listFiles, { ...ref, per_page: 100 });
  return files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename]));
}

/**
 * The catalog at a commit, read through the REST API: one recursive tree, then the blobs of the
 * YAML files under catalogPath. Paths come back relative to catalogPath, as `vigil validate` sees
 * them. A file over the parse limit is reported, not downloaded.
 */
export async function readCatalogAt(
  octokit: ProbotOctokit,
  ref: RepoRef & { sha: string; catalogPath: string },
): Promise<{ files: SourceFile[]; diagnostics: Diagnostic[] }> {
  const { owner, repo, sha, catalogPath } = ref;
  const tree = await octokit.rest.git.getTree({ owner, repo, tree_sha: sha, recursive: 'true' });
  if (tree.data.truncated) {
    throw new VigilError('GITHUB_UNAVAILABLE', `the git tree of ${owner}/${repo}@${sha} is too large for one API call (GitHub truncated it)`, {
      fix: 'Keep the catalog in a repository of its own, or a smaller one; Vigil reads it with one recursive tree request.',
    });
  }
  const entries = tree.data.tree
    // Symlinks (120000) and submodules are not followed, as on disk.
    .filter((e) => e.type === 'blob' && e.mode !== '120000' && e.path !== undefined && e.sha !== undefined)
    .map((e) => ({ path: catalogRelative(catalogPath, e.path as string), sha: e.sha as string, size: e.size ?? 0 }))
    .filter((e): e is { path: string; sha: string; size: number } => e.path !== undefined)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const diagnostics: Diagnostic[] = [];
  const small = entries.filter((e) => {
    if (e.size <= PARSE_LIMITS.maxFileBytes) return true;
    const mib = (e.size / 1024 / 1024).toFixed(1);
    diagnostics.push(diagnostic('error', e.path, { line: 1, col: 1 },
      `file is ${mib} MiB; catalog files may be at most ${PARSE_LIMITS.maxFileBytes / 1024 / 1024} MiB: split it into several files`));
    return false;
  });
  const files = await mapLimit(small, BLOB_CONCURRENCY, async (e): Promise<SourceFile> => {
    const blob = await octokit.rest.git.getBlob({ owner, repo, file_sha: e.sha });
    const content = blob.data.encoding === 'base64' ? Buffer.from(blob.data.content, 'base64') : Buffer.from(blob.data.content, 'utf8');
    return { path: e.path, content };
  });
  return { files, diagnostics };
}
