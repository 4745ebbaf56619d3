import { describe, expect, it } from 'vitest';
import { followsRepository, type FollowedCatalog } from '../../../bot/github/follow.js';
import { parseCatalogRepo } from '../../../core/catalog-repo.js';

const repo = { id: 7, full_name: 'acme/catalog', default_branch: 'main', clone_url: 'https://github.com/acme/catalog.git', ssh_url: 'git@github.com:acme/catalog.git' };
const byName: FollowedCatalog = { repo: parseCatalogRepo('R', 'acme/catalog', 'https://api.github.com')!, branch: undefined };

describe('which repository the GitHub App follows', () => {
  it('follows the configured owner/name in any case, on its default branch unless a branch is configured', () => {
    expect(followsRepository(byName, { ...repo, full_name: 'ACME/Catalog' }, undefined)).toEqual({ follow: true, branch: 'main' });
    expect(followsRepository({ ...byName, branch: 'release' }, repo, 7)).toEqual({ follow: true, branch: 'release' });
  });

  it('ignores another repository, and the same name under another owner', () => {
    expect(followsRepository(byName, { ...repo, id: 8, full_name: 'acme/other', clone_url: 'https://github.com/acme/other.git', ssh_url: undefined }, undefined).follow).toBe(false);
    expect(followsRepository(byName, { ...repo, id: 9, full_name: 'mallory/catalog', clone_url: 'https://github.com/mallory/catalog.git', ssh_url: undefined }, undefined).follow).toBe(false);
  });

  it('ignores the right name with another id once the id is known', () => {
    expect(followsRepository(byName, { ...repo, id: 99 }, 7)).toMatchObject({ follow: false, reason: expect.stringContaining('99') });
  });

  it('follows by a configured clone URL, whichever of GitHub\'s URLs matches it', () => {
    const byUrl: FollowedCatalog = { repo: parseCatalogRepo('R', 'ssh://git@github.com/acme/catalog.git', 'https://api.github.com')!, branch: undefined };
    expect(followsRepository(byUrl, { ...repo, full_name: 'renamed/elsewhere' }, undefined).follow).toBe(true);
    const local: FollowedCatalog = { repo: { setting: 'file:///x.git', fullName: undefined, cloneUrl: 'file:///x.git' }, branch: undefined };
    expect(followsRepository(local, repo, undefined).follow).toBe(false);
  });
});
