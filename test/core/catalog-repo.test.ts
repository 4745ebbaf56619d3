import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { parseCatalogRepo, repoUrlKey } from '../../core/catalog-repo.js';

const parse = (value: string, apiUrl = 'https://api.github.com') => parseCatalogRepo('VIGIL_CATALOG_REPO', value, apiUrl)!;

describe('the catalog repository setting', () => {
  it('turns owner/name into GitHub\'s clone URL, on github.com or an Enterprise server', () => {
    expect(parse('acme/catalog')).toEqual({ setting: 'acme/catalog', fullName: 'acme/catalog', cloneUrl: 'https://github.com/acme/catalog.git' });
    expect(parse('acme/catalog', 'https://ghe.example/api/v3').cloneUrl).toBe('https://ghe.example/acme/catalog.git');
  });

  it('keeps a clone URL as given and reads owner/name from its last two segments', () => {
    expect(parse('https://github.com/acme/catalog.git')).toMatchObject({ fullName: 'acme/catalog', cloneUrl: 'https://github.com/acme/catalog.git' });
    expect(parse('git@github.com:acme/catalog.git')).toMatchObject({ fullName: 'acme/catalog', cloneUrl: 'git@github.com:acme/catalog.git' });
    expect(parse('file:///srv/git/acme/catalog')).toMatchObject({ fullName: 'acme/catalog', cloneUrl: 'file:///srv/git/acme/catalog' });
    expect(parse('file:///catalog.git').fullName).toBeUndefined();
    // Credentials stay in the URL that is cloned, and out of what is shown.
    expect(parse('https://x-access-token:s3cr3t@github.com/acme/catalog.git')).toMatchObject({ setting: 'https://github.com/acme/catalog.git', cloneUrl: 'https://x-access-token:s3cr3t@github.com/acme/catalog.git' });
  });

  it('refuses a value that is neither owner/name nor a clone URL, naming the variable', () => {
    expect(() => parse('just-a-name')).toThrow(expect.objectContaining({ code: 'VIGIL-E0103', message: expect.stringContaining('VIGIL_CATALOG_REPO="just-a-name"') }));
    expect(() => parse('ftp://example.com/a/b')).toThrow(expect.objectContaining({ code: 'VIGIL-E0103' }));
  });

  it('compares the https, ssh and git URLs of one repository as equal, ignoring case, credentials and .git', () => {
    const key = repoUrlKey('https://github.com/Acme/Catalog.git');
    expect(repoUrlKey('git@github.com:acme/catalog.git')).toBe(key);
    expect(repoUrlKey('git://github.com/acme/catalog.git')).toBe(key);
    expect(repoUrlKey('https://x-access-token:secret@github.com/acme/catalog/')).toBe(key);
    expect(repoUrlKey('https://github.com/mallory/catalog.git')).not.toBe(key);
  });

  it('reads VIGIL_CATALOG_REPO, VIGIL_CATALOG_BRANCH and VIGIL_BIND, binding to loopback by default', () => {
    const config = loadConfig({ VIGIL_CATALOG_REPO: 'acme/catalog', VIGIL_CATALOG_BRANCH: 'release' });
    expect(config.github.catalogRepo?.fullName).toBe('acme/catalog');
    expect(config.github.catalogBranch).toBe('release');
    expect(config.bind).toBe('127.0.0.1');
    expect(loadConfig({}).github.catalogRepo).toBeUndefined();
    expect(loadConfig({}).github.catalogBranch).toBeUndefined();
    expect(loadConfig({ VIGIL_BIND: '0.0.0.0' }).bind).toBe('0.0.0.0');
    expect(() => loadConfig({ VIGIL_CATALOG_BRANCH: '--upload-pack=evil' })).toThrow(expect.objectContaining({ code: 'VIGIL-E0103' }));
  });
});
