import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { VigilError } from '../core/errors.js';

/** A catalog that lives in a git repository: which repository, which branch, which folder. */
export interface GitCatalog {
  /** A clone URL or a local path. */
  repo: string;
  branch: string;
  /** Folder of the catalog inside the repository. */
  path: string;
}

/** The local working copy Vigil keeps of a catalog repository, under VIGIL_HOME/repos. */
export interface Checkout {
  dir: string;
  /** Fetches the branch and returns the commit it points at. */
  fetch(): Promise<string>;
  /** Puts the work tree at `commit` and returns the catalog folder inside it. */
  checkout(commit: string): Promise<string>;
}

function gitError(catalog: GitCatalog, action: string, error: unknown): VigilError {
  // git prints progress first; the reason is on its 'fatal:' line, or else the last one.
  const lines = ((error as Error)?.message ?? String(error)).split('\n').map((l) => l.trim()).filter(Boolean);
  const detail = lines.find((l) => l.startsWith('fatal:')) ?? lines.at(-1) ?? 'unknown error';
  return new VigilError('GIT_FAILED', `${action} ${catalog.repo} (branch ${catalog.branch}) failed: ${detail}`, { cause: error });
}

export async function openCheckout(catalog: GitCatalog, home: string): Promise<Checkout> {
  const key = createHash('sha1').update(`${catalog.repo}#${catalog.branch}`).digest('hex').slice(0, 16);
  const dir = path.join(home, 'repos', key);
  const exists = await fs.stat(path.join(dir, '.git')).then(() => true, () => false);
  if (!exists) {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(path.dirname(dir), { recursive: true });
    try {
      await simpleGit().clone(catalog.repo, dir, ['--branch', catalog.branch, '--single-branch', '--no-checkout']);
    } catch (error) {
      await fs.rm(dir, { recursive: true, force: true });
      throw gitError(catalog, 'cloning', error);
    }
  }
  const git: SimpleGit = simpleGit(dir);
  return {
    dir,
    async fetch() {
      try {
        await git.fetch('origin', `+refs/heads/${catalog.branch}:refs/remotes/origin/${catalog.branch}`);
        return (await git.revparse([`refs/remotes/origin/${catalog.branch}`])).trim();
      } catch (error) {
        throw gitError(catalog, 'fetching', error);
      }
    },
    async checkout(commit) {
      try {
        await git.raw(['checkout', '--force', '--detach', commit]);
        await git.raw(['clean', '-fdx', '-q']);
      } catch (error) {
        throw gitError(catalog, `checking out ${commit} of`, error);
      }
      return path.join(dir, catalog.path);
    },
  };
}
