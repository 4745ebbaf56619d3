import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { isVigilError } from '../../core/errors.js';
import { redact, registerProcessSecrets } from '../../core/redact.js';

const codeOf = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
    return 'ok';
  } catch (error) {
    return isVigilError(error) ? `${error.code} ${error.message}` : String(error);
  }
};

describe('web view settings', () => {
  it('reads the sign-in method and its settings in one place', () => {
    const web = loadConfig({
      VIGIL_WEB_AUTH: 'OIDC', VIGIL_WEB_PORT: '8443', VIGIL_OIDC_ISSUER: 'https://id.example/realms/studio', VIGIL_OIDC_CLIENT_ID: 'vigil',
      VIGIL_WEB_PROXY_HEADER: 'X-Forwarded-User', VIGIL_WEB_PROXY_ADDRESS: '10.0.0.5',
    }).web;
    expect(web).toMatchObject({ auth: 'oidc', port: 8443, oidc: { issuer: 'https://id.example/realms/studio', clientId: 'vigil' }, proxy: { header: 'x-forwarded-user', address: '10.0.0.5' } });
    expect(loadConfig({}).web).toMatchObject({ auth: undefined, port: 3005, sessionKey: undefined });
  });

  it('names the variable at fault: an unknown method, a header that is no header name, a short cookie key, an issuer that is no URL', () => {
    expect(codeOf({ VIGIL_WEB_AUTH: 'basic' })).toBe('VIGIL-E0103 VIGIL_WEB_AUTH=basic is not one of oidc, proxy, dev');
    expect(codeOf({ VIGIL_WEB_PROXY_HEADER: 'X User:' })).toContain('VIGIL-E0103 VIGIL_WEB_PROXY_HEADER=X User: is not an HTTP header name');
    expect(codeOf({ VIGIL_WEB_SESSION_KEY: 'short' })).toContain('VIGIL-E0103 VIGIL_WEB_SESSION_KEY must be at least 32 characters');
    expect(codeOf({ VIGIL_OIDC_ISSUER: 'id.example' })).toContain('VIGIL-E0103 VIGIL_OIDC_ISSUER is not a URL');
  });

  it('masks the OIDC client secret and the cookie key in everything printed', () => {
    const env = { VIGIL_OIDC_CLIENT_SECRET: 'oidc-secret-7f3a9c2e', VIGIL_WEB_SESSION_KEY: 'k'.repeat(40) };
    registerProcessSecrets(loadConfig(env), env);
    const out = redact(`token exchange with oidc-secret-7f3a9c2e and ${'k'.repeat(40)}`);
    expect(out).not.toContain('oidc-secret-7f3a9c2e');
    expect(out).not.toContain('k'.repeat(40));
  });
});
