/**
 * A bounded bencode decoder (BEP 3): integers `i42e`, byte strings `4:spam`, lists `l...e` and
 * dictionaries `d...e`. Hostile input is expected (a .torrent comes from a pirate indexer), so the
 * decoder bounds nesting depth, the number of values, and integer length, reads every string length
 * against the bytes actually left (a declared 4 GB string in a 1 KB file fails at once, allocating
 * nothing), and reports the byte offset of what is wrong. It records the byte span of each
 * dictionary's values on request, for the info-hash. Pure.
 */

export type Bencoded = bigint | Buffer | Bencoded[] | BencodedDict;
export interface BencodedDict { [key: string]: Bencoded }

export const BENCODE_LIMITS = { maxDepth: 32, maxValues: 200_000, maxIntegerDigits: 20 } as const;

export class BencodeError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
  }
}

export interface DecodeOptions {
  maxDepth?: number;
  maxValues?: number;
  /** A top-level dictionary key whose value's raw bytes are wanted (BitTorrent's `info`). */
  spanOf?: string;
}

export interface Decoded {
  value: Bencoded;
  /** [start, end) of the top-level dictionary's `spanOf` value, when asked for and present. */
  span?: [number, number];
}

const E = 0x65; // 'e'

export function decodeBencode(buf: Buffer, options: DecodeOptions = {}): Decoded {
  const maxDepth = options.maxDepth ?? BENCODE_LIMITS.maxDepth;
  const maxValues = options.maxValues ?? BENCODE_LIMITS.maxValues;
  let pos = 0;
  let values = 0;
  let span: [number, number] | undefined;

  const digitsUntil = (stop: number, what: string): string => {
    const start = pos;
    while (pos < buf.length && buf[pos] !== stop) {
      if (pos - start > BENCODE_LIMITS.maxIntegerDigits) throw new BencodeError(`${what} is longer than ${BENCODE_LIMITS.maxIntegerDigits} digits`, start);
      pos += 1;
    }
    if (pos >= buf.length) throw new BencodeError(`${what} is not terminated`, start);
    const text = buf.toString('latin1', start, pos);
    pos += 1; // the terminator
    return text;
  };

  const read = (depth: number, topLevel: boolean): Bencoded => {
    if (pos >= buf.length) throw new BencodeError('unexpected end of data', pos);
    values += 1;
    if (values > maxValues) throw new BencodeError(`more than ${maxValues} values`, pos);
    const c = buf[pos]!;
    if (c === 0x69) { // i
      const at = pos;
      pos += 1;
      const text = digitsUntil(E, 'an integer');
      if (!/^(0|-?[1-9]\d*)$/.test(text)) throw new BencodeError(`invalid integer ${JSON.stringify(text)}`, at);
      return BigInt(text);
    }
    if (c >= 0x30 && c <= 0x39) {
      const at = pos;
      const text = digitsUntil(0x3a, 'a string length');
      if (!/^(0|[1-9]\d*)$/.test(text)) throw new BencodeError(`invalid string length ${JSON.stringify(text)}`, at);
      const length = Number(text);
      if (length > buf.length - pos) throw new BencodeError(`a string of ${text} bytes is longer than the ${buf.length - pos} bytes left`, at);
      const s = buf.subarray(pos, pos + length);
      pos += length;
      return s;
    }
    if (c === 0x6c || c === 0x64) { // l, d
      if (depth >= maxDepth) throw new BencodeError(`nested deeper than ${maxDepth}`, pos);
      pos += 1;
      if (c === 0x6c) {
        const list: Bencoded[] = [];
        while (pos < buf.length && buf[pos] !== E) list.push(read(depth + 1, false));
        if (pos >= buf.length) throw new BencodeError('a list is not terminated', pos);
        pos += 1;
        return list;
      }
      const dict: BencodedDict = Object.create(null) as BencodedDict;
      while (pos < buf.length && buf[pos] !== E) {
        const keyAt = pos;
        const key = read(depth + 1, false);
        if (!Buffer.isBuffer(key)) throw new BencodeError('a dictionary key is not a string', keyAt);
        const name = key.toString('utf8');
        const start = pos;
        dict[name] = read(depth + 1, false);
        if (topLevel && name === options.spanOf) span = [start, pos];
      }
      if (pos >= buf.length) throw new BencodeError('a dictionary is not terminated', pos);
      pos += 1;
      return dict;
    }
    throw new BencodeError(`unexpected byte 0x${c.toString(16).padStart(2, '0')}`, pos);
  };

  const value = read(0, true);
  if (pos !== buf.length) throw new BencodeError('trailing data after the value', pos);
  return { value, ...(span ? { span } : {}) };
}
