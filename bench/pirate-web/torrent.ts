import { createHash } from 'node:crypto';

/**
 * .torrent files as indexers serve them (BEP 3): a bencoded dictionary whose info dictionary names
 * the files and their sizes; the infohash is the SHA-1 of the bencoded info, which the magnet carries.
 */

type Bencodable = number | string | Buffer | Bencodable[] | { [key: string]: Bencodable };

export function bencode(value: Bencodable): Buffer {
  if (typeof value === 'number') return Buffer.from(`i${Math.trunc(value)}e`);
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    return Buffer.concat([Buffer.from(`${bytes.length}:`), bytes]);
  }
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(bencode), Buffer.from('e')]);
  // BEP 3: dictionary keys are sorted as raw byte strings.
  const keys = Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(value[k]!)]), Buffer.from('e')]);
}

export interface TorrentFile {
  path: string[];
  length: number;
}

const PIECE = 4 * 1024 * 1024;

/** A torrent of `files` under the folder `name` (one file: a single-file torrent named after it). */
export function makeTorrent(name: string, files: readonly TorrentFile[], tracker: string): { bytes: Buffer; infohash: string; magnet: string } {
  const total = files.reduce((n, f) => n + f.length, 0);
  // Piece hashes are not checked by anyone reading metadata; deterministic bytes of the right count.
  const pieces = Buffer.alloc(20 * Math.max(1, Math.ceil(total / PIECE)));
  for (let i = 0; i < pieces.length; i += 20) createHash('sha1').update(`${name}:${i}`).digest().copy(pieces, i);
  const info: Record<string, Bencodable> = files.length === 1 && files[0]!.path.length === 1
    ? { name: files[0]!.path[0]!, length: files[0]!.length, 'piece length': PIECE, pieces }
    : { name, files: files.map((f) => ({ length: f.length, path: f.path })), 'piece length': PIECE, pieces };
  const infohash = createHash('sha1').update(bencode(info)).digest('hex');
  const bytes = bencode({ announce: tracker, 'created by': 'qBittorrent v4.6.2', 'creation date': 1772755200, info });
  const magnet = `magnet:?xt=urn:btih:${infohash}&dn=${encodeURIComponent(String(info.name))}&tr=${encodeURIComponent(tracker)}`;
  return { bytes, infohash, magnet };
}
