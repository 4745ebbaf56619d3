import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { patternFor, patternToBytes, variantAt } from '../../core/ab-pattern.js';
import { CborTag, decodeCbor, encodeCbor, type CborMap, type CborValue } from '../../edge/cbor.js';
import { CLAIM, issueWmt, verifyWmt } from '../../edge/wmt.js';

const KEY = '0f'.repeat(32);
const now = 1_760_000_000;

/** A COSE_Mac0 over `claims`, MACed by hand (RFC 9052 MAC_structure), for tokens our issuer would not make. */
function handMade(claims: CborMap, key = KEY): string {
  const protectedHeader = Uint8Array.of(0xa1, 0x01, 0x05); // {1: 5}: alg HMAC 256/256
  const payload = encodeCbor(claims);
  // ["MAC0", protected, h'', payload] written out byte by byte: array(4), text(4) "MAC0", bstr(3), bstr(0), bstr(n).
  const structure = Buffer.concat([Buffer.from([0x84, 0x64]), Buffer.from('MAC0'), Buffer.from([0x43]), protectedHeader, Buffer.from([0x40]),
    Buffer.from(encodeCbor(payload))]);
  const tag = createHmac('sha256', Buffer.from(key, 'hex')).update(structure).digest();
  return Buffer.from(encodeCbor(new CborTag(17, [protectedHeader, new Map(), payload, new Uint8Array(tag)]))).toString('base64url');
}

function claimsOf(token: string): CborMap {
  const mac0 = decodeCbor(Buffer.from(token, 'base64url')) as CborTag;
  expect(mac0.tag).toBe(17);
  const [header, unprotected, payload] = mac0.value as CborValue[];
  expect(Buffer.from(header as Uint8Array).toString('hex')).toBe('a10105');
  expect(unprotected).toEqual(new Map());
  return decodeCbor(payload as Uint8Array) as CborMap;
}

describe('watermarking tokens (ETSI TS 104 002)', () => {
  it('direct mode carries the pattern bytes under claim 304 with exp, iat, wmver 1, wmpatlen 48', () => {
    const token = issueWmt(KEY, { mode: 'direct', watermarkId: 123456, issuedAt: now, expiresAt: now + 3600 });
    const claims = claimsOf(token);
    expect(claims.get(CLAIM.exp)).toBe(now + 3600);
    expect(claims.get(CLAIM.iat)).toBe(now);
    expect(claims.get(300)).toBe(1);
    expect(claims.get(302)).toBe(48);
    expect(Buffer.from(claims.get(304) as Uint8Array)).toEqual(Buffer.from(patternToBytes(patternFor(123456))));
    const check = verifyWmt(KEY, token, now + 10);
    expect(check).toMatchObject({ ok: true, wmt: { mode: 'direct', pattern: patternFor(123456) } });
  });

  it('the token equals one MACed by hand over the same claims (deterministic CBOR, RFC 9052 MAC_structure)', () => {
    const token = issueWmt(KEY, { mode: 'direct', watermarkId: 7, issuedAt: now, expiresAt: now + 60 });
    expect(token).toBe(handMade(claimsOf(token)));
  });

  it('indirect mode carries wmid (305), wmopid, wmkeyver; the edge derives patternFor(wmid)', () => {
    const token = issueWmt(KEY, { mode: 'indirect', watermarkId: 99, issuedAt: now, expiresAt: now + 60 });
    expect(claimsOf(token).get(305)).toBe('99');
    const check = verifyWmt(KEY, token, now);
    expect(check.ok && check.wmt.watermarkId).toBe(99);
    expect(check.ok && check.wmt.pattern.map((_, p) => variantAt(check.wmt.pattern, p))).toEqual(patternFor(99));
  });

  it('refuses a bad MAC: another key, or a changed claim', () => {
    const token = issueWmt(KEY, { mode: 'direct', watermarkId: 5, issuedAt: now, expiresAt: now + 60 });
    expect(verifyWmt('aa'.repeat(32), token, now)).toMatchObject({ ok: false, reason: 'wmt-bad-mac' });
    const claims = claimsOf(token);
    claims.set(CLAIM.wmpattern, patternToBytes(patternFor(6)));
    const mac0 = decodeCbor(Buffer.from(token, 'base64url')) as CborTag;
    const [h, u, , tag] = mac0.value as CborValue[];
    const swapped = Buffer.from(encodeCbor(new CborTag(17, [h!, u!, encodeCbor(claims), tag!]))).toString('base64url');
    expect(verifyWmt(KEY, swapped, now)).toMatchObject({ ok: false, reason: 'wmt-bad-mac' });
  });

  it('refuses an unknown version even when its MAC is good', () => {
    const claims: CborMap = new Map<number, CborValue>([[4, now + 60], [6, now], [300, 2], [301, 250], [302, 48], [304, patternToBytes(patternFor(5))]]);
    expect(verifyWmt(KEY, handMade(claims), now)).toMatchObject({ ok: false, reason: 'wmt-unknown-version' });
    claims.set(300, 1);
    expect(verifyWmt(KEY, handMade(claims), now)).toMatchObject({ ok: true });
  });

  it('refuses expired, not-yet-valid, missing claims, another alg and garbage', () => {
    const token = issueWmt(KEY, { mode: 'direct', watermarkId: 5, issuedAt: now, expiresAt: now + 60 });
    expect(verifyWmt(KEY, token, now + 60)).toMatchObject({ ok: false, reason: 'wmt-expired' });
    expect(verifyWmt(KEY, token, now - 1)).toMatchObject({ ok: false, reason: 'wmt-not-yet-valid' });
    const noIat: CborMap = new Map<number, CborValue>([[4, now + 60], [300, 1], [301, 250], [302, 48], [304, patternToBytes(patternFor(5))]]);
    expect(verifyWmt(KEY, handMade(noIat), now)).toMatchObject({ ok: false, reason: 'wmt-bad-claims' });
    const neither: CborMap = new Map<number, CborValue>([[4, now + 60], [6, now], [300, 1], [301, 250], [302, 48]]);
    expect(verifyWmt(KEY, handMade(neither), now)).toMatchObject({ ok: false, reason: 'wmt-bad-claims' });
    const hs256Header = encodeCbor(new Map([[1, 4]]));
    const otherAlg = Buffer.from(encodeCbor(new CborTag(17, [hs256Header, new Map(), encodeCbor(neither), new Uint8Array(8)]))).toString('base64url');
    expect(verifyWmt(KEY, otherAlg, now)).toMatchObject({ ok: false, reason: 'wmt-bad-alg' });
    expect(verifyWmt(KEY, 'not.base64', now)).toMatchObject({ ok: false, reason: 'wmt-malformed' });
    expect(verifyWmt(KEY, 'gA', now)).toMatchObject({ ok: false, reason: 'wmt-malformed' });
    expect(verifyWmt(KEY, undefined, now)).toMatchObject({ ok: false, reason: 'wmt-missing' });
  });

  it('CBOR: deterministic key order, shortest forms, refuses trailing bytes and indefinite lengths', () => {
    expect(Buffer.from(encodeCbor(new Map<number, CborValue>([[300, 1], [4, 2], [-1, 3]]))).toString('hex')).toBe('a3040219012c012003'); // bytewise order of the encoded keys: 04 < 19012c < 20
    expect(() => decodeCbor(Uint8Array.of(0x01, 0x02))).toThrow(/after/);
    expect(() => decodeCbor(Uint8Array.of(0x9f, 0xff))).toThrow(/indefinite/);
    expect(decodeCbor(encodeCbor([1, -500, 'é', new Uint8Array([1]), true, null]))).toEqual([1, -500, 'é', new Uint8Array([1]), true, null]);
  });
});
