/**
 * WMPaceInfo sidecar files (DASH-IF Forensic A/B Watermarking, ETSI TS 104 002 V1.1.1, clause
 * 5.5.3.2): which position of the session pattern a discrete segment carries, as deterministically
 * encoded CBOR (RFC 8949 clause 4.2) with integer keys:
 *
 *   sidecar-discrete = { 1 (version): 1, 2 (segments): [+ { ?5 (segmentRegex): text, 6 (position): int .ge -1,
 *                                                         ?7 (firstpart): bool, ?8 (lastpart): bool }] }
 *
 * The packager writes one per segment file (`<uri>.wmpaceinfo`, see core/package-layout.ts); the
 * edge and detection read them. Position -1: the segment is not watermarked. Only the small subset
 * of CBOR this structure needs is written and read: unsigned and negative integers, text, booleans,
 * arrays and maps of definite length.
 */
export const WMPACEINFO_VERSION = 1;
export const WMPACEINFO_SUFFIX = '.wmpaceinfo';
const KEY = { version: 1, segments: 2, segmentRegex: 5, position: 6, firstpart: 7, lastpart: 8 } as const;

export interface PaceSegment {
  position: number;
  segmentRegex?: string;
  firstpart?: boolean;
  lastpart?: boolean;
}

function head(major: number, value: number, out: number[]): void {
  const m = major << 5;
  if (value < 24) out.push(m | value);
  else if (value < 0x100) out.push(m | 24, value);
  else if (value < 0x10000) out.push(m | 25, value >> 8, value & 0xff);
  else out.push(m | 26, (value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function int(value: number, out: number[]): void {
  if (value >= 0) head(0, value, out);
  else head(1, -1 - value, out);
}

/** The sidecar for `segments` (one, for a discrete segment file), as deterministic CBOR. */
export function encodeWmPaceInfo(segments: readonly PaceSegment[]): Uint8Array {
  if (segments.length === 0) throw new RangeError('a WMPaceInfo sidecar lists at least one segment');
  const out: number[] = [];
  head(5, 2, out);
  int(KEY.version, out);
  int(WMPACEINFO_VERSION, out);
  int(KEY.segments, out);
  head(4, segments.length, out);
  for (const s of segments) {
    if (!Number.isInteger(s.position) || s.position < -1 || s.position > 0x7fff) throw new RangeError(`WMPaceInfo position must be an integer from -1 to 32767, got ${s.position}`);
    // Deterministic encoding sorts map keys by their encoded bytes: 5 < 6 < 7 < 8.
    const fields = (s.segmentRegex !== undefined ? 1 : 0) + 1 + (s.firstpart !== undefined ? 1 : 0) + (s.lastpart !== undefined ? 1 : 0);
    head(5, fields, out);
    if (s.segmentRegex !== undefined) {
      int(KEY.segmentRegex, out);
      const bytes = Buffer.from(s.segmentRegex, 'utf8');
      head(3, bytes.length, out);
      out.push(...bytes);
    }
    int(KEY.position, out);
    int(s.position, out);
    if (s.firstpart !== undefined) { int(KEY.firstpart, out); out.push(s.firstpart ? 0xf5 : 0xf4); }
    if (s.lastpart !== undefined) { int(KEY.lastpart, out); out.push(s.lastpart ? 0xf5 : 0xf4); }
  }
  return Uint8Array.from(out);
}

type Cbor = number | string | boolean | Cbor[] | Map<number, Cbor>;

function decodeItem(bytes: Uint8Array, at: { i: number }, depth: number): Cbor {
  if (depth > 8) throw new Error('nested too deeply');
  const byte = bytes[at.i++];
  if (byte === undefined) throw new Error('ends early');
  const major = byte >> 5;
  const info = byte & 31;
  if (major === 7) {
    if (info === 20) return false;
    if (info === 21) return true;
    throw new Error(`simple value ${info} is not used by WMPaceInfo`);
  }
  let value: number;
  if (info < 24) value = info;
  else if (info <= 26) {
    const n = 1 << (info - 24);
    if (at.i + n > bytes.length) throw new Error('ends early');
    value = 0;
    for (let k = 0; k < n; k++) value = value * 256 + bytes[at.i++]!;
  } else throw new Error(`length encoding ${info} is not used by WMPaceInfo`);
  switch (major) {
    case 0: return value;
    case 1: return -1 - value;
    case 3: {
      if (at.i + value > bytes.length) throw new Error('ends early');
      const text = Buffer.from(bytes.subarray(at.i, at.i + value)).toString('utf8');
      at.i += value;
      return text;
    }
    case 4: {
      if (value > 100_000) throw new Error('array too long');
      return Array.from({ length: value }, () => decodeItem(bytes, at, depth + 1));
    }
    case 5: {
      const map = new Map<number, Cbor>();
      for (let k = 0; k < value; k++) {
        const key = decodeItem(bytes, at, depth + 1);
        if (typeof key !== 'number') throw new Error('map keys must be integers');
        map.set(key, decodeItem(bytes, at, depth + 1));
      }
      return map;
    }
    default: throw new Error(`CBOR major type ${major} is not used by WMPaceInfo`);
  }
}

export type WmPaceInfoRead = { ok: true; segments: PaceSegment[] } | { ok: false; problem: string };

/** Reads a sidecar written by encodeWmPaceInfo (or by another packager following the same clause). */
export function decodeWmPaceInfo(bytes: Uint8Array): WmPaceInfoRead {
  let root: Cbor;
  try {
    const at = { i: 0 };
    root = decodeItem(bytes, at, 0);
    if (at.i !== bytes.length) return { ok: false, problem: `${bytes.length - at.i} bytes after the sidecar` };
  } catch (error) {
    return { ok: false, problem: `not CBOR: ${(error as Error).message}` };
  }
  if (!(root instanceof Map)) return { ok: false, problem: 'not a CBOR map' };
  if (root.get(KEY.version) !== WMPACEINFO_VERSION) return { ok: false, problem: `version (key 1) must be ${WMPACEINFO_VERSION}` };
  const list = root.get(KEY.segments);
  if (!Array.isArray(list) || list.length === 0) return { ok: false, problem: 'segments (key 2) must be a non-empty array' };
  const segments: PaceSegment[] = [];
  for (const [i, item] of list.entries()) {
    if (!(item instanceof Map)) return { ok: false, problem: `segments[${i}] is not a map` };
    const position = item.get(KEY.position);
    if (typeof position !== 'number' || !Number.isInteger(position) || position < -1) return { ok: false, problem: `segments[${i}].position (key 6) must be an integer >= -1` };
    const s: PaceSegment = { position };
    const regex = item.get(KEY.segmentRegex);
    if (regex !== undefined) { if (typeof regex !== 'string') return { ok: false, problem: `segments[${i}].segmentRegex (key 5) must be text` }; s.segmentRegex = regex; }
    for (const [name, key] of [['firstpart', KEY.firstpart], ['lastpart', KEY.lastpart]] as const) {
      const v = item.get(key);
      if (v === undefined) continue;
      if (typeof v !== 'boolean') return { ok: false, problem: `segments[${i}].${name} (key ${key}) must be a boolean` };
      s[name] = v;
    }
    segments.push(s);
  }
  return { ok: true, segments };
}
