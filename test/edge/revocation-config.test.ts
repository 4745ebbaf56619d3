import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { redact, registerProcessSecrets } from '../../core/redact.js';

describe('revocation settings', () => {
  it('has no Akamai target unless a credential or an .edgerc is named, and resolves the .edgerc path', () => {
    expect(loadConfig({}, '/srv').revocation).toEqual({ apiKey: undefined, port: 3004, akamai: undefined });
    const config = loadConfig({ VIGIL_AKAMAI_EDGERC: 'conf/.edgerc', VIGIL_AKAMAI_LIST_ID: '42', VIGIL_REVOCATION_PORT: '9000' }, '/srv');
    expect(config.revocation.port).toBe(9000);
    expect(config.revocation.akamai).toEqual({
      edgerc: { path: '/srv/conf/.edgerc', section: 'default' }, host: undefined, clientToken: undefined, clientSecret: undefined, accessToken: undefined, listId: 42,
    });
  });

  it('names a list id that is not a number', () => {
    expect(() => loadConfig({ VIGIL_AKAMAI_LIST_ID: 'live' })).toThrow('VIGIL_AKAMAI_LIST_ID=live must be the numeric id of an Akamai revocation list');
  });

  it('masks the API key and the Akamai secrets in everything printed', () => {
    const env = { VIGIL_REVOCATION_API_KEY: 'rev-key-7f3a9c1d2e', AKAMAI_CLIENT_SECRET: 'akamai-secret-b64==', AKAMAI_ACCESS_TOKEN: 'akab-access-zz91', AKAMAI_HOST: 'h', AKAMAI_CLIENT_TOKEN: 'akab-client-yy12' };
    registerProcessSecrets(loadConfig(env), env);
    expect(redact('key rev-key-7f3a9c1d2e secret akamai-secret-b64== tokens akab-access-zz91 akab-client-yy12')).toBe('key *** secret *** tokens *** ***');
  });
});
