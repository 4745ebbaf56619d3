import { describe, expect, it } from 'vitest';
import { decodeWmPaceInfo, encodeWmPaceInfo } from '../../core/wmpaceinfo.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('WMPaceInfo sidecars (ETSI TS 104 002 5.5.3.2)', () => {
  it('writes deterministic CBOR with integer keys: version 1, one discrete segment', () => {
    // {1: 1, 2: [{6: 33, 7: true, 8: true}]}
    expect(hex(encodeWmPaceInfo([{ position: 33, firstpart: true, lastpart: true }]))).toBe('a2010102' + '81' + 'a3' + '061821' + '07f5' + '08f5');
    // An unmarked segment: position -1 is CBOR negative integer 0x20.
    expect(hex(encodeWmPaceInfo([{ position: -1 }]))).toBe('a201010281a10620');
    // segmentRegex (key 5) sorts before position (key 6).
    expect(hex(encodeWmPaceInfo([{ segmentRegex: 'a', position: 300 }]))).toBe('a201010281a2056161' + '0619012c');
  });

  it('reads back what it writes, and names what is wrong with what it cannot read', () => {
    const segments = [{ position: 0, firstpart: true, lastpart: false }, { position: 32767 }, { position: -1, segmentRegex: 'seg_.*\\.m4s' }];
    expect(decodeWmPaceInfo(encodeWmPaceInfo(segments))).toEqual({ ok: true, segments });
    expect(decodeWmPaceInfo(Uint8Array.from([0xa2, 0x01, 0x02, 0x02, 0x81, 0xa1, 0x06, 0x00]))).toEqual({ ok: false, problem: 'version (key 1) must be 1' });
    expect(decodeWmPaceInfo(Uint8Array.from([0xa2, 0x01, 0x01, 0x02, 0x81, 0xa1, 0x06, 0x21]))).toMatchObject({ ok: false, problem: expect.stringContaining('position') });
    expect(decodeWmPaceInfo(Uint8Array.from([0xa2, 0x01]))).toMatchObject({ ok: false, problem: expect.stringContaining('not CBOR') });
    expect(() => encodeWmPaceInfo([{ position: -2 }])).toThrow(RangeError);
  });
});
