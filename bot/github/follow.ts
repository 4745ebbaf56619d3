import { repoUrlKey, type CatalogRepo } from '../../core/catalog-repo.js';

/** What a webhook says about its repository; every field is GitHub's (the delivery is signed). */
export interface WebhookRepository {
  id: number;
  full_name: string;
  default_branch: string;
  clone_url?: string;
  ssh_url?: string;
  git_url?: string;
  html_url?: string;
}

/** The repository and branch the App follows. */
export interface FollowedCatalog {
  repo: CatalogRepo;
  /** Undefined: the repository's default branch. */
  branch: string | undefined;
}

export type FollowVerdict = { follow: true; branch: string } | { follow: false; reason: string };

/**
 * Whether a delivery comes from the catalog repository: by `owner/name` (owner included, any case)
 * or by one of the URLs GitHub gives for it, and, once the repository id is known, by that id too,
 * so a repository deleted and re-created under the same name by someone else is not followed.
 * The App is installed on other repositories as well; their signed deliveries are real, but not ours.
 */
export function followsRepository(followed: FollowedCatalog, repository: WebhookRepository, pinnedId: number | undefined): FollowVerdict {
  const want = followed.repo;
  const byName = want.fullName !== undefined && repository.full_name.toLowerCase() === want.fullName.toLowerCase();
  const wantUrl = repoUrlKey(want.cloneUrl);
  const urls = [repository.clone_url, repository.ssh_url, repository.git_url, repository.html_url];
  const byUrl = wantUrl !== undefined && urls.some((u) => u !== undefined && repoUrlKey(u) === wantUrl);
  if (!byName && !byUrl) return { follow: false, reason: `not the catalog repository ${want.setting}` };
  if (pinnedId !== undefined && repository.id !== pinnedId) {
    return { follow: false, reason: `repository id ${repository.id} is not the id ${pinnedId} first seen for ${want.setting}` };
  }
  return { follow: true, branch: followed.branch ?? repository.default_branch };
}
