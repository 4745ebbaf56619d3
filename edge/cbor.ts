/**
 * The subset of CBOR (RFC 8949) a watermarking token needs: unsigned and negative integers (to 2^53),
 * byte and text strings, arrays, maps with integer or text keys, tags, false/true/null. Encoding is
 * "deterministically encoded CBOR" (RFC 8949 clause 4.2.1), which ETSI TS 104 002 asks of the token:
 * shortest argument forms, definite lengths, map keys sorted by their encoded bytes. Decoding refuses
 * what this subset does not hold (floats, indefinite lengths, simple values), trailing bytes and
 * nesting past a small depth, since a token comes from outside.
 */
export type CborValue = number | Uint8Array | string | boolean | null | CborValue[] | CborMap | CborTag;
export type CborMap = Map<number | string, CborValue>;
export class CborTag {
  constructor(readonly tag: number, readonly value: CborValue) {}
}

export class CborError extends Error {}

function head(major: number, n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new CborError(`cannot encode ${n} as a CBOR argument`);
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  if (n < 0x100000000) return Uint8Array.of(m | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const out = new Uint8Array(9);
  out[0] = m | 27;
  new DataView(out.buffer).setBigUint64(1, BigInt(n));
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function encodeCbor(value: CborValue): Uint8Array {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new CborError(`only integers are encoded, not ${value}`);
    return value >= 0 ? head(0, value) : head(1, -1 - value);
  }
  if (typeof value === 'string') {
    const bytes = new TextEncoder().encode(value);
    return concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return concat([head(2, value.length), value]);
  if (value === false) return Uint8Array.of(0xf4);
  if (value === true) return Uint8Array.of(0xf5);
  if (value === null) return Uint8Array.of(0xf6);
  if (Array.isArray(value)) return concat([head(4, value.length), ...value.map(encodeCbor)]);
  if (value instanceof CborTag) return concat([head(6, value.tag), encodeCbor(value.value)]);
  const entries = [...value.entries()].map(([k, v]) => [encodeCbor(k), encodeCbor(v)] as const);
  entries.sort((a, b) => compareBytes(a[0], b[0]));
  return concat([head(5, entries.length), ...entries.flat()]);
}

const MAX_DEPTH = 16;

/** One CBOR data item filling all of `bytes`. */
export function decodeCbor(bytes: Uint8Array): CborValue {
  let at = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number): void => { if (at + n > bytes.length) throw new CborError('truncated CBOR'); };
  const argument = (info: number): number => {
    if (info < 24) return info;
    if (info === 24) { need(1); return bytes[at++]!; }
    if (info === 25) { need(2); const v = view.getUint16(at); at += 2; return v; }
    if (info === 26) { need(4); const v = view.getUint32(at); at += 4; return v; }
    if (info === 27) {
      need(8); const v = view.getBigUint64(at); at += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CborError('CBOR integer too large');
      return Number(v);
    }
    throw new CborError('indefinite lengths and reserved values are not accepted');
  };
  const item = (depth: number): CborValue => {
    if (depth > MAX_DEPTH) throw new CborError('CBOR nested too deeply');
    need(1);
    const first = bytes[at++]!;
    const major = first >> 5;
    const info = first & 0x1f;
    if (major === 7) {
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      throw new CborError('floats and simple values are not accepted');
    }
    const n = argument(info);
    switch (major) {
      case 0: return n;
      case 1: return -1 - n;
      case 2: { need(n); const v = bytes.slice(at, at + n); at += n; return v; }
      case 3: {
        need(n);
        let text: string;
        try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at, at + n)); } catch { throw new CborError('CBOR text is not UTF-8'); }
        at += n; return text;
      }
      case 4: {
        if (n > bytes.length - at) throw new CborError('truncated CBOR');
        return Array.from({ length: n }, () => item(depth + 1));
      }
      case 5: {
        if (n > bytes.length - at) throw new CborError('truncated CBOR');
        const map: CborMap = new Map();
        for (let i = 0; i < n; i++) {
          const key = item(depth + 1);
          if (typeof key !== 'number' && typeof key !== 'string') throw new CborError('map keys must be integers or text');
          if (map.has(key)) throw new CborError(`map key ${key} appears twice`);
          map.set(key, item(depth + 1));
        }
        return map;
      }
      default: return new CborTag(n, item(depth + 1));
    }
  };
  const value = item(0);
  if (at !== bytes.length) throw new CborError('bytes after the CBOR item');
  return value;
}
