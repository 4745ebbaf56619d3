import { createHash } from 'node:crypto';
import { decodeBencode, type Bencoded, type BencodedDict } from './bencode.js';

/**
 * What a torrent says it holds, from a .torrent file (BEP 3 info dictionary: `name`, `length` for one
 * file or `files` [{ length, path }] for many) or a magnet link (BEP 9: `dn` display name, `xl`
 * exact length, `xt=urn:btih:` info-hash). The file list is what scoring reads: release names
 * carry the title, the episode and the size. Pure.
 */

export interface TorrentFile {
  /** Path inside the torrent, '/'-joined, the torrent's name first for multi-file torrents. */
  path: string;
  length: number;
}

export interface TorrentMeta {
  from: 'torrent-file' | 'magnet';
  name: string;
  files: TorrentFile[];
  /** Bytes in all (a magnet's xl when that is all it says). */
  totalLength?: number;
  /** Hex SHA-1 of the bencoded info dictionary (v1), or the magnet's btih. */
  infoHash?: string;
}

/** Files kept from one torrent; a season pack has tens, a hostile one millions. */
export const MAX_TORRENT_FILES = 2000;

export class TorrentError extends Error {}

function dict(v: Bencoded | undefined): BencodedDict | undefined {
  return v !== undefined && !Buffer.isBuffer(v) && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

function text(v: Bencoded | undefined): string | undefined {
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}

function size(v: Bencoded | undefined, what: string): number {
  if (typeof v !== 'bigint' || v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TorrentError(`${what} is not a plausible byte count`);
  return Number(v);
}

export function parseTorrentFile(buf: Buffer): TorrentMeta {
  const { value, span } = decodeBencode(buf, { spanOf: 'info' });
  const info = dict(dict(value)?.info);
  if (!info) throw new TorrentError('the .torrent has no info dictionary');
  // BEP 3 names are UTF-8 (name.utf-8 is a common older spelling of the same).
  const name = text(info['name.utf-8']) ?? text(info.name);
  if (name === undefined) throw new TorrentError('the info dictionary has no name');
  const files: TorrentFile[] = [];
  let total = 0;
  if (info.length !== undefined) {
    total = size(info.length, 'the file length');
    files.push({ path: name, length: total });
  } else if (Array.isArray(info.files)) {
    for (const entry of info.files) {
      const f = dict(entry);
      const parts = f?.['path.utf-8'] ?? f?.path;
      if (!f || !Array.isArray(parts)) throw new TorrentError('a files entry has no path list');
      const length = size(f.length, 'a file length');
      total += length;
      if (files.length < MAX_TORRENT_FILES) files.push({ path: [name, ...parts.map((p) => text(p) ?? '')].join('/'), length });
    }
  } else {
    throw new TorrentError('the info dictionary has neither length nor files');
  }
  return {
    from: 'torrent-file', name, files, totalLength: total,
    ...(span ? { infoHash: createHash('sha1').update(buf.subarray(span[0], span[1])).digest('hex') } : {}),
  };
}

/** A magnet link's name and size; undefined when it is not a magnet or names nothing. */
export function parseMagnet(uri: string): TorrentMeta | undefined {
  if (!uri.toLowerCase().startsWith('magnet:?')) return undefined;
  const params = new URLSearchParams(uri.slice(uri.indexOf('?') + 1));
  const name = params.get('dn') ?? undefined;
  const xl = params.get('xl');
  const length = xl !== null && /^\d{1,16}$/.test(xl) ? Number(xl) : undefined;
  const btih = params.getAll('xt').map((x) => /^urn:btih:([0-9a-f]{40}|[a-z2-7]{32})$/i.exec(x)?.[1]).find(Boolean);
  if (!name) return undefined;
  return {
    from: 'magnet', name, files: length === undefined ? [] : [{ path: name, length }],
    ...(length === undefined ? {} : { totalLength: length }), ...(btih ? { infoHash: btih.toLowerCase() } : {}),
  };
}
