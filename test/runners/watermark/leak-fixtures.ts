import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type pg from 'pg';
import { recordEmbeddedCopies } from '../../../core/db/embed-ledger.js';
import { sha256File } from '../../../runners/media/sha256.js';
import { embedForRecipients, MARK_VERSION } from '../../../runners/watermark/embed.js';
import { keyFingerprint } from '../../../runners/watermark/keys.js';
import { ffmpeg, makeClip } from '../media/clips.js';

/**
 * What the leak-download tests serve: a marked copy made with ffmpeg and the real embedder, cut by
 * ffmpeg into HLS (TS and fMP4) and DASH as a pirate CDN would (re-encoded once, then cut by
 * stream copy), beside an unmarked copy, a 5-second marked clip and an audio-only file; and a
 * local HTTP server on 127.0.0.1 that serves a folder with byte ranges, plus routes a test adds.
 */

export const KEY_HEX = '5e1f7a2b9c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b8c9d0e1f2a3b';
export const WATERMARK_ID = 4242;

export interface LeakMedia {
  root: string;
  marked: string;
  unmarked: string;
  short: string;
  audioOnly: string;
}

/**
 * The marked copy's allocation and embed-ledger row, as vigil apply and vigil embed record them:
 * detection names only IDs the ledger has a copy of under their key.
 */
export async function recordLeakCopy(pool: pg.Pool, media: LeakMedia): Promise<void> {
  await pool.query(`insert into watermark_allocations (watermark_id, recipient_id, recipient_name) values ($1, 'northwind-vod', 'Northwind-VOD')`, [WATERMARK_ID]);
  const fingerprint = keyFingerprint(Buffer.from(KEY_HEX, 'hex'));
  await recordEmbeddedCopies(pool, 'test', [{
    watermarkId: WATERMARK_ID, recipient: { id: 'northwind-vod', name: 'Northwind-VOD' }, keyId: fingerprint.slice(0, 16), keyFingerprint: fingerprint,
    inputPath: 'src/original.mp4', inputSha256: await sha256File(path.join(media.root, 'src', 'original.mp4')), outputPath: media.marked, outputSha256: await sha256File(media.marked), markVersion: MARK_VERSION,
  }]);
}

export async function makeLeakMedia(root: string): Promise<LeakMedia> {
  const src = path.join(root, 'src');
  for (const d of [src, path.join(root, 'media'), path.join(root, 'short')]) await fs.mkdir(d, { recursive: true });
  // 12 s at 10 fps, 320x180: past the 10 s detection requirement, cheap to embed and decode.
  const original = await makeClip(src, 'h264', 12, 'original');
  const shortSource = await makeClip(src, 'h264', 5, 'short-source');
  const key = Buffer.from(KEY_HEX, 'hex');
  const recipients = [{ name: 'northwind-vod', watermarkId: WATERMARK_ID }];
  const marked = (await embedForRecipients({ input: original, key, outDir: path.join(root, 'media'), minDuration: 0, preset: 'ultrafast', recipients })).outputs[0]!.output;
  const short = (await embedForRecipients({ input: shortSource, key, outDir: path.join(root, 'short'), minDuration: 0, preset: 'ultrafast', recipients })).outputs[0]!.output;
  const unmarked = path.join(root, 'media', 'unmarked.mp4');
  await fs.copyFile(original, unmarked);
  const audioOnly = await makeClip(path.join(root, 'media'), 'audio-only', 12, 'audio');
  // A pirate's re-encode with a short GOP, so the stream cuts into several segments (the embedder's
  // own GOP is longer than the clip); the mark survives it as it survives any re-encode.
  const reencoded = path.join(src, 'reencoded.mp4');
  await ffmpeg(['-i', marked, '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '16', '-g', '10', '-keyint_min', '10', '-sc_threshold', '0', '-c:a', 'copy', reencoded]);
  await fs.mkdir(path.join(root, 'hls-ts'));
  await ffmpeg(['-i', reencoded, '-c', 'copy', '-f', 'hls', '-hls_time', '3', '-hls_playlist_type', 'vod', '-hls_segment_filename', path.join(root, 'hls-ts', 'seg%03d.ts'), path.join(root, 'hls-ts', 'index.m3u8')]);
  await fs.mkdir(path.join(root, 'hls-fmp4'));
  await ffmpeg(['-i', reencoded, '-c', 'copy', '-f', 'hls', '-hls_time', '3', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4',
    '-hls_segment_filename', path.join(root, 'hls-fmp4', 'part%03d.m4s'), path.join(root, 'hls-fmp4', 'index.m3u8')]);
  // A master playlist as a pirate CDN writes one: an audio-only rendition first, then the video.
  await fs.writeFile(path.join(root, 'hls-ts', 'master.m3u8'), [
    '#EXTM3U', '#EXT-X-VERSION:3',
    '#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp4a.40.2"', 'audio.m3u8',
    '#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=320x180,CODECS="avc1.4d401f,mp4a.40.2"', 'index.m3u8', '',
  ].join('\n'));
  await fs.writeFile(path.join(root, 'hls-ts', 'audio.m3u8'), '#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3,\nnot-fetched.aac\n#EXT-X-ENDLIST\n');
  await fs.mkdir(path.join(root, 'dash'));
  await ffmpeg(['-i', reencoded, '-c', 'copy', '-f', 'dash', '-seg_duration', '3', '-use_template', '1', '-use_timeline', '1',
    '-init_seg_name', 'init-$RepresentationID$.m4s', '-media_seg_name', 'chunk-$RepresentationID$-$Number%05d$.m4s', path.join(root, 'dash', 'manifest.mpd')]);
  // The same HLS as one file with EXT-X-BYTERANGE segments, and DASH with $Number$ over @duration (no timeline).
  await fs.mkdir(path.join(root, 'hls-single'));
  await ffmpeg(['-i', reencoded, '-c', 'copy', '-f', 'hls', '-hls_time', '3', '-hls_playlist_type', 'vod', '-hls_flags', 'single_file', path.join(root, 'hls-single', 'index.m3u8')]);
  await fs.mkdir(path.join(root, 'dash-number'));
  await ffmpeg(['-i', reencoded, '-c', 'copy', '-f', 'dash', '-seg_duration', '3', '-use_template', '1', '-use_timeline', '0',
    '-init_seg_name', 'init-$RepresentationID$.m4s', '-media_seg_name', 'n-$RepresentationID$-$Number$.m4s', path.join(root, 'dash-number', 'manifest.mpd')]);
  return { root, marked, unmarked, short, audioOnly };
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface LeakServer {
  port: number;
  /** http://HOST:PORT/PATH for a host the resolve map sends here. */
  url(p: string, host?: string): string;
  resolveEntries(hosts?: string[]): string[];
  route(p: string, handler: Handler): void;
  /** Paths asked for, in order. */
  log: string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.mp4': 'video/mp4', '.m4a': 'audio/mp4', '.m4s': 'video/iso.segment', '.ts': 'video/mp2t', '.m3u8': 'application/vnd.apple.mpegurl', '.mpd': 'application/dash+xml', '.html': 'text/html; charset=utf-8',
};

/** Serves `root` (with Range, as CDNs do) and the routes added; everything else is 404. */
export async function startLeakServer(root: string): Promise<LeakServer> {
  const routes = new Map<string, Handler>();
  const log: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    log.push(url.pathname);
    const route = routes.get(url.pathname);
    if (route) { route(req, res); return; }
    const file = path.join(root, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ''));
    fs.stat(file).then((st) => {
      if (!st.isFile()) throw new Error('not a file');
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
      if (m) {
        const start = Number(m[1]);
        const end = Math.min(st.size - 1, m[2] ? Number(m[2]) : st.size - 1);
        if (start >= st.size) { res.writeHead(416, { 'content-range': `bytes */${st.size}` }).end(); return; }
        res.writeHead(206, { 'content-type': type, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${st.size}`, 'accept-ranges': 'bytes' });
        createReadStream(file, { start, end }).pipe(res);
        return;
      }
      res.writeHead(200, { 'content-type': type, 'content-length': st.size, 'accept-ranges': 'bytes' });
      createReadStream(file).pipe(res);
    }).catch(() => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port, log,
    url: (p, host = 'leaks.example') => `http://${host}:${port}${p}`,
    resolveEntries: (hosts = ['leaks.example', 'player.example', 'locker.example']) => hosts.map((h) => `${h}:${port}:127.0.0.1`),
    route: (p, handler) => { routes.set(p, handler); },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A handler that answers `body` with `type`. */
export function reply(type: string, body: string | Buffer): Handler {
  return (_req, res) => { res.writeHead(200, { 'content-type': type }).end(body); };
}
