import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { edgeGridAuthorization, edgeGridTimestamp, parseEdgerc, type EdgeGridCredentials } from '../../edge/edgegrid.js';
import { isVigilError } from '../../core/errors.js';

/**
 * The signer against vectors it did not compute: (1) the expected Authorization values of Akamai's
 * client test data (AkamaiOPEN-edgegrid-node test/test_data.json, the same credentials, timestamp and
 * nonce; the 32-byte POST is the value of its "Post uses passed-max-body" entry and of test/test.js "POST
 * inside limit", its data file's "POST inside limit" entry holding a value no client test checks),
 * (2) a signature python3's hmac/hashlib compute over the documented data to sign.
 */
const AKAMAI_TEST: EdgeGridCredentials = {
  host: 'akaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net',
  clientToken: 'akab-client-token-xxx-xxxxxxxxxxxxxxxx',
  clientSecret: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=',
  accessToken: 'akab-access-token-xxx-xxxxxxxxxxxxxxxx',
  maxBody: 2048,
};
const AT = { timestamp: '20140321T19:34:21+0000', nonce: 'nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' };
const BASE = 'https://akaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net';
const signatureOf = (header: string) => /signature=(.+)$/.exec(header)?.[1];

describe('EdgeGrid EG1-HMAC-SHA256', () => {
  it("matches Akamai's client test vectors (GET, query string, POST body, empty POST, signed header)", () => {
    const sign = (method: string, path: string, body?: string, headersToSign?: Array<[string, string]>) =>
      signatureOf(edgeGridAuthorization({ method, url: new URL(path, BASE), body, headersToSign }, AKAMAI_TEST, AT));
    expect(sign('GET', '/')).toBe('tL+y4hxyHxgWVD30X3pWnGKHcPzmrIF+LThiAOhMxYU=');
    expect(sign('GET', '/testapi/v1/t1?p1=1&p2=2')).toBe('hKDH1UlnQySSHjvIcZpDMbQHihTQ0XyVAKZaApabdeA=');
    expect(sign('POST', '/testapi/v1/t3', 'datadatadatadatadatadatadatadata')).toBe('hXm4iCxtpN22m4cbZb4lVLW5rhX8Ca82vCFqXzSTPe4=');
    expect(sign('POST', '/testapi/v1/t6', '')).toBe('1gEDxeQGD5GovIkJJGcBaKnZ+VaPtrc4qBUHixjsPCQ=');
    expect(sign('GET', '/testapi/v1/t4', undefined, [['X-Test1', 'test-simple-header']])).toBe('8F9AybcRw+PLxnvT+H0JRkjROrrUgsxJTnRXMzqvcwY=');
  });

  it('hashes only the first max_body bytes of a POST body, as the vectors for 2,048 and 2,049 bytes agree', () => {
    const sign = (body: string) => signatureOf(edgeGridAuthorization({ method: 'POST', url: new URL('/testapi/v1/t3', BASE), body }, AKAMAI_TEST, AT));
    expect(sign('d'.repeat(2049))).toBe('6Q6PiTipLae6n4GsSIDTCJ54bEbHUBp+4MUXrbQCBoY=');
    expect(sign('d'.repeat(2048))).toBe('6Q6PiTipLae6n4GsSIDTCJ54bEbHUBp+4MUXrbQCBoY=');
  });

  it('agrees with python3 hmac over the documented data to sign for an Access Revocation add call on a local port', () => {
    const credentials: EdgeGridCredentials = { host: 'http://127.0.0.1:18443', clientToken: 'akab-ct-1', clientSecret: 'c2VjcmV0LXNlY3JldA==', accessToken: 'akab-at-1', maxBody: 131_072 };
    const body = JSON.stringify([{ id: 'sess-1', durationSeconds: 1800 }]);
    const at = { timestamp: '20261202T14:00:00+0000', nonce: '5e1d2c6b-0000-4000-8000-000000000001' };
    const header = edgeGridAuthorization({ method: 'POST', url: new URL('http://127.0.0.1:18443/taas/v2/revocation-lists/7/identifiers/add'), body }, credentials, at);
    const python = `
import base64, hashlib, hmac, sys
secret, ts, nonce, body = sys.argv[1:5]
auth = "EG1-HMAC-SHA256 client_token=akab-ct-1;access_token=akab-at-1;timestamp=%s;nonce=%s;" % (ts, nonce)
content = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
data = "\\t".join(["POST", "http", "127.0.0.1:18443", "/taas/v2/revocation-lists/7/identifiers/add", "", content, auth])
key = base64.b64encode(hmac.new(secret.encode(), ts.encode(), hashlib.sha256).digest())
print(auth + "signature=" + base64.b64encode(hmac.new(key, data.encode(), hashlib.sha256).digest()).decode())
`;
    const expected = execFileSync('python3', ['-c', python, credentials.clientSecret, at.timestamp, at.nonce, body], { encoding: 'utf8' }).trim();
    expect(header).toBe(expected);
  });

  it('formats the timestamp as yyyyMMddTHH:mm:ss+0000 in UTC', () => {
    expect(edgeGridTimestamp(new Date(Date.UTC(2026, 0, 5, 3, 4, 5)))).toBe('20260105T03:04:05+0000');
  });

  it('reads an .edgerc section with quotes, comments and max-body, and names a missing field', () => {
    const text = `[default]
host = akab-h.luna.akamaiapis.net ; comment
client_token = "akab-ct"
client_secret = "with;semicolon"
access_token = akab-at
max-body = 8192

[broken]
host = x
`;
    expect(parseEdgerc(text, 'default', '/home/u/.edgerc')).toEqual({
      host: 'akab-h.luna.akamaiapis.net', clientToken: 'akab-ct', clientSecret: 'with;semicolon', accessToken: 'akab-at', maxBody: 8192,
    });
    const missing = (() => { try { parseEdgerc(text, 'broken', '/home/u/.edgerc'); } catch (e) { return e; } })();
    expect(isVigilError(missing, 'AKAMAI_CREDENTIALS_INVALID') && missing.message).toBe('/home/u/.edgerc [broken] has no client_token');
    const noSection = (() => { try { parseEdgerc(text, 'ccu', '/home/u/.edgerc'); } catch (e) { return e; } })();
    expect(isVigilError(noSection) && noSection.message).toContain('has no [ccu] section (sections: default, broken)');
  });
});
