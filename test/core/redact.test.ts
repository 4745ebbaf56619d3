import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, isSecretName, MASK, redact, registerSecret, registerUrlPassword } from '../../core/redact.js';

afterEach(() => clearSecrets());

describe('structural scrubbing (no secret registered)', () => {
  it.each([
    ['a query key', 'could not fetch https://idx.example/api?t=search&apikey=abc123def&q=x', 'apikey=abc123def'],
    ['an upper-case name', 'GET https://idx.example/api?APIKEY=abc123def', 'abc123def'],
    ['a dashed name', 'https://h.example/?api-key=abc123def', 'abc123def'],
    ['a percent-encoded name', 'https://h.example/?api%5Fkey=abc123def', 'abc123def'],
    ['an access token', 'https://h.example/cb?code=1&access_token=ya29.tok-en', 'ya29.tok-en'],
    ['an S3 presigned signature', 'https://b.s3.amazonaws.com/o?X-Amz-Credential=AKIAXYZ%2F2026&X-Amz-Signature=deadbeef00', 'deadbeef00'],
    ['an S3 credential', 'https://b.s3.amazonaws.com/o?X-Amz-Credential=AKIAXYZ%2F2026&X-Amz-Signature=deadbeef00', 'AKIAXYZ'],
    ['a tracker passkey', 'http://tracker.example/announce.php?passkey=0123456789abcdef', '0123456789abcdef'],
    ['an HTML-escaped query', '<a href="https://h.example/?q=a&amp;token=t0ps3cret">', 't0ps3cret'],
    ['a URL inside a URL', 'https://r.example/?next=https%3A%2F%2Fidx.example%2Fapi%3Fq%3Dx%26apikey%3Dabc123def', 'abc123def'],
    ['userinfo', 'cannot reach Redis at redis://default:hunter22@127.0.0.1:6390/0', 'hunter22'],
    ['userinfo with an @ in the password', 'postgres://vigil:p@ss@word@db.example:5432/vigil', 'p@ss@word'],
    ['encoded userinfo', 'https://r.example/?u=postgres%3A%2F%2Fvigil%3Ahunter22%40db.example', 'hunter22'],
    ['an Authorization header', 'request headers: Authorization: Bearer eyJhbGciOi.x.y', 'eyJhbGciOi'],
    ['a lower-case header in JSON', '{"headers":{"authorization":"Basic dXNlcjpwYXNz","accept":"*/*"}}', 'dXNlcjpwYXNz'],
    ['a cookie header', 'cookie: session=abc123; theme=dark', 'abc123'],
    ['a bearer token in prose', 'the API refused Bearer AbC123xyz890 as expired', 'AbC123xyz890'],
  ])('masks %s', (_name, text, secret) => {
    const out = redact(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(MASK);
  });

  it('keeps what a person needs to act: host, port, path, user and harmless parameters', () => {
    expect(redact('cannot reach Redis at redis://default:hunter22@127.0.0.1:6390/0')).toBe('cannot reach Redis at redis://default:***@127.0.0.1:6390/0');
    expect(redact('https://idx.example/api?t=search&q=Moonlit%20Harbor&apikey=abc123def')).toBe('https://idx.example/api?t=search&q=Moonlit%20Harbor&apikey=***');
    expect(redact('https://site.example/watch?v=12&monkey=1&page=2')).toBe('https://site.example/watch?v=12&monkey=1&page=2');
  });

  it('leaves prose alone', () => {
    const text = 'basic authentication failed; the token expired; a key was missing at file.yaml:3:5';
    expect(redact(text)).toBe(text);
  });

  it('keeps a JSON log line valid JSON', () => {
    const line = JSON.stringify({ msg: 'failed', url: 'https://h.example/?key=a"b\\c&x=1', headers: { Authorization: 'Bearer Zm9vYmFyYmF6\n' }, err: { stack: 'Error: GET https://u:pw12345@h.example/\n    at x (f.ts:1:2)' } });
    const out = redact(line);
    expect(() => JSON.parse(out) as unknown).not.toThrow();
    expect(out).not.toContain('Zm9vYmFyYmF6');
    expect(out).not.toContain('pw12345');
  });
});

describe('registered secrets', () => {
  it('masks a registered value wherever it appears: raw, percent-encoded, JSON-escaped, in a stack', () => {
    registerSecret('s3cr3t/with "quotes" & space');
    const raw = 'value s3cr3t/with "quotes" & space here';
    expect(redact(raw)).toBe('value *** here');
    expect(redact(`https://x.example/p/${encodeURIComponent('s3cr3t/with "quotes" & space')}`)).not.toContain('s3cr3t');
    expect(redact(JSON.stringify({ msg: raw }))).not.toContain('s3cr3t');
    expect(redact(new Error(raw).stack ?? '')).not.toContain('s3cr3t');
  });

  it('masks a secret that travels where no structure gives it away', () => {
    registerSecret('plainvalue42');
    expect(redact('indexer said: unknown client plainvalue42')).toBe('indexer said: unknown client ***');
  });

  it('masks a PEM key whole, with escaped newlines, and line by line', () => {
    const body = 'MIIEowIBAAKCAQEAv3Xq7yGq9c1x2LmN0pQrStUvWxYz';
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${body}\nAAAABBBBCCCCDDDDEEEE\n-----END RSA PRIVATE KEY-----`;
    registerSecret(pem);
    expect(redact(`key: ${pem}`)).toBe('key: ***');
    expect(redact(JSON.stringify({ key: pem }))).not.toContain(body);
    expect(redact(`a fragment ${body}`)).toBe('a fragment ***');
  });

  it('registers the password of a service URL, decoded and encoded', () => {
    registerUrlPassword('postgres://vigil:p%40ss%2Fw0rd@db.example:5432/vigil');
    expect(redact('auth failed for p@ss/w0rd')).toBe('auth failed for ***');
    expect(redact('auth failed for p%40ss%2Fw0rd')).toBe('auth failed for ***');
  });

  it('leaves a password that is the user name or the scheme to the userinfo mask', () => {
    registerUrlPassword('postgres://postgres:postgres@db.example:5432/postgres');
    expect(redact('postgres://postgres:postgres@db.example:5432/postgres')).toBe('postgres://postgres:***@db.example:5432/postgres');
  });

  it('ignores values too short to mask without garbling every line', () => {
    registerSecret('ab');
    registerSecret('   ');
    expect(redact('a cab and abba')).toBe('a cab and abba');
  });
});

describe('secret parameter names', () => {
  it.each(['key', 'APIKEY', 'api_key', 'Api-Key', 'x-api-key', 'jackett_apikey', 'access_token', 'X-Amz-Signature', 'X-Goog-Signature', 'client_secret', 'sig', 'password', 'passkey', 'auth'])('%s is secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });
  it.each(['q', 't', 'page', 'monkey', 'keyword', 'v', 'author', 'tokenizer'])('%s is not', (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});
