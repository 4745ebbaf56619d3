import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { aclMatches, escapeEarly, generateToken, verifyToken } from '../../edge/edgeauth.js';

const KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** HMAC-SHA256 of `text` under a hex key, computed by python3's hmac, not by our code. */
function pythonHmac(hexKey: string, text: string): string {
  return execFileSync('python3', ['-c', 'import hmac,hashlib,binascii,sys; print(hmac.new(binascii.a2b_hex(sys.argv[1]), sys.argv[2].encode(), hashlib.sha256).hexdigest())', hexKey, text]).toString().trim();
}

/** The same through openssl, as a second independent implementation. */
function opensslHmac(hexKey: string, text: string): string {
  const out = execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${hexKey}`], { input: text }).toString();
  return out.trim().split(/\s+/).pop()!;
}

describe('EdgeAuth tokens', () => {
  it('match the string-to-sign of Akamai\'s libraries (st, exp, acl, id, data, hmac joined by ~)', () => {
    const token = generateToken({ hex: KEY }, { startTime: 1_700_000_000, endTime: 1_700_003_600, acl: ['/film/*', '/trailer/*'], sessionId: 'sess-1', data: 'viewer=42' });
    const signed = 'st=1700000000~exp=1700003600~acl=/film/*!/trailer/*~id=sess-1~data=viewer=42';
    expect(token).toBe(`${signed}~hmac=${pythonHmac(KEY, signed)}`);
    expect(opensslHmac(KEY, signed)).toBe(pythonHmac(KEY, signed));
  });

  it('escape early as quote_plus with lower-case escapes, and sign a URL token with url= not carried', () => {
    expect(escapeEarly('a b/c~d*(e)!')).toBe('a+b%2fc~d%2a%28e%29%21');
    const token = generateToken({ hex: KEY, escapeEarly: true }, { endTime: 1_800_000_000, url: '/film/index.m3u8', sessionId: 'id with space' });
    const fields = 'exp=1800000000~id=id+with+space';
    expect(token).toBe(`${fields}~hmac=${pythonHmac(KEY, `${fields}~url=%2ffilm%2findex.m3u8`)}`);
  });

  it('a salt is signed, never sent', () => {
    const token = generateToken({ hex: KEY, salt: 'pepper' }, { endTime: 1_800_000_000, acl: '/*' });
    expect(token).toBe(`exp=1800000000~acl=/*~hmac=${pythonHmac(KEY, 'exp=1800000000~acl=/*~salt=pepper')}`);
  });

  const now = 1_750_000_000;
  const good = generateToken({ hex: KEY }, { startTime: now - 10, endTime: now + 600, acl: '/film/*', sessionId: 's1' });

  it('accepts a good token on a path its ACL covers', () => {
    const check = verifyToken({ hex: KEY }, good, '/film/seg-00001.m4s', now);
    expect(check).toMatchObject({ ok: true, token: { sessionId: 's1', acl: ['/film/*'] } });
  });

  it('refuses a forged token: another key, or a changed field', () => {
    const other = generateToken({ hex: 'ff'.repeat(32) }, { startTime: now - 10, endTime: now + 600, acl: '/film/*', sessionId: 's1' });
    expect(verifyToken({ hex: KEY }, other, '/film/a', now)).toMatchObject({ ok: false, reason: 'token-bad-signature' });
    const widened = good.replace('acl=/film/*', 'acl=/*');
    expect(verifyToken({ hex: KEY }, widened, '/film/a', now)).toMatchObject({ ok: false, reason: 'token-bad-signature' });
    const stolen = good.replace('id=s1', 'id=s2');
    expect(verifyToken({ hex: KEY }, stolen, '/film/a', now)).toMatchObject({ ok: false, reason: 'token-bad-signature' });
  });

  it('refuses an expired token, a not-yet-valid one, a wrong ACL, a missing or malformed one', () => {
    expect(verifyToken({ hex: KEY }, good, '/film/a', now + 600)).toMatchObject({ ok: false, reason: 'token-expired' });
    expect(verifyToken({ hex: KEY }, good, '/film/a', now - 11)).toMatchObject({ ok: false, reason: 'token-not-yet-valid' });
    expect(verifyToken({ hex: KEY }, good, '/other/a', now)).toMatchObject({ ok: false, reason: 'token-acl-mismatch' });
    expect(verifyToken({ hex: KEY }, undefined, '/film/a', now)).toMatchObject({ ok: false, reason: 'token-missing' });
    expect(verifyToken({ hex: KEY }, 'exp=abc~hmac=00', '/film/a', now)).toMatchObject({ ok: false, reason: 'token-malformed' });
    expect(verifyToken({ hex: KEY }, 'exp=1~evil=1~hmac=00', '/film/a', now)).toMatchObject({ ok: false, reason: 'token-malformed' });
  });

  it('reads ACLs as Akamai does: * spans slashes, ! separates entries', () => {
    expect(aclMatches(['/film/*'], '/film/A/seg.m4s')).toBe(true);
    expect(aclMatches(['/film/*.m3u8'], '/film/x/index.m3u8')).toBe(true);
    expect(aclMatches(['/film/*.m3u8'], '/film/x/seg.m4s')).toBe(false);
    expect(aclMatches(['/a/*', '/b/*'], '/b/1')).toBe(true);
    expect(aclMatches(['/film'], '/film/1')).toBe(false);
    expect(aclMatches(['/f*m*'], '/fm')).toBe(true);
    expect(aclMatches(['/f*m*m'], '/fm')).toBe(false);
  });
});
