import { VigilError } from './errors.js';

/**
 * The one catalog repository Vigil follows (VIGIL_CATALOG_REPO). The GitHub App acts only on
 * webhooks from it; the reconciler clones `cloneUrl`, never a URL a webhook names.
 */
export interface CatalogRepo {
  /** The setting as written, without any credentials in it: safe for messages and logs. */
  setting: string;
  /** `owner/name`, when the setting names one (a GitHub name, or the last two segments of a URL). */
  fullName: string | undefined;
  /** What the reconciler clones: the URL as given, or GitHub's https URL for `owner/name`. */
  cloneUrl: string;
}

const FULL_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
const SCP_LIKE = /^[\w.-]+@([\w.-]+):(.+)$/;
const URL_SCHEMES = ['https:', 'http:', 'ssh:', 'git:', 'file:'];

/** https://api.github.com -> https://github.com; https://ghe.example/api/v3 -> https://ghe.example. */
export function webOrigin(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  return url.origin;
}

function fullNameOfPath(pathname: string): string | undefined {
  const parts = pathname.replace(/\/+$/, '').replace(/\.git$/, '').split('/').filter(Boolean);
  const candidate = parts.slice(-2).join('/');
  return parts.length >= 2 && FULL_NAME.test(candidate) ? candidate : undefined;
}

/**
 * host/path of a repository URL, lower-cased, without credentials, scheme, port or `.git`: the
 * https, ssh and git URLs GitHub gives for one repository compare equal.
 */
export function repoUrlKey(value: string): string | undefined {
  const scp = SCP_LIKE.exec(value);
  if (scp) return `${scp[1]}/${scp[2]!.replace(/^\/+/, '')}`.replace(/\/+$/, '').replace(/\.git$/, '').toLowerCase();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return `${url.hostname}${url.pathname}`.replace(/\/+$/, '').replace(/\.git$/, '').toLowerCase();
}

/** Parses VIGIL_CATALOG_REPO: `owner/name`, a clone URL (https, ssh, git, file) or `git@host:owner/name.git`. */
export function parseCatalogRepo(name: string, value: string | undefined, apiUrl: string): CatalogRepo | undefined {
  if (value === undefined) return undefined;
  if (FULL_NAME.test(value)) {
    return { setting: value, fullName: value, cloneUrl: `${webOrigin(apiUrl)}/${value}.git` };
  }
  const scp = SCP_LIKE.exec(value);
  if (scp) return { setting: value, fullName: fullNameOfPath(`/${scp[2]!}`), cloneUrl: value };
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !URL_SCHEMES.includes(url.protocol)) {
    throw new VigilError('CONFIG_INVALID', `${name}=${JSON.stringify(value)} is neither owner/name nor a clone URL`, {
      fix: `Set ${name} to the catalog repository as owner/name (acme/catalog), or its clone URL (https://github.com/acme/catalog.git, git@github.com:acme/catalog.git, file:///srv/catalog.git).`,
    });
  }
  const shown = new URL(url);
  shown.username = '';
  shown.password = '';
  return { setting: shown.toString(), fullName: fullNameOfPath(url.pathname), cloneUrl: value };
}

/** A branch name git would accept, closely enough to catch typos and option injection. */
export function checkBranchName(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9._/-]+$/.test(value) || value.startsWith('-') || value.includes('..') || value.endsWith('/') || value.endsWith('.lock')) {
    throw new VigilError('CONFIG_INVALID', `${name}=${JSON.stringify(value)} is not a branch name`, {
      fix: `Set ${name} to the branch Vigil reconciles (e.g. main), or unset it to follow the repository's default branch.`,
    });
  }
  return value;
}
