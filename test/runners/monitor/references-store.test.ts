import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { referenceFrameCount } from '../../../runners/monitor/confirm.js';
import { FINGERPRINTER, REFERENCE_FPS } from '../../../runners/monitor/fingerprint.js';
import { mediaHash, referencesFor } from '../../../runners/monitor/references-store.js';
import { openTestServices, type TestServices } from '../../support/services.js';

const spec: ContentSpec = {
  type: 'season', title: 'Moonlit Harbor', season: 1, releaseDate: '2026-03-06',
  referenceMedia: [{ path: 'ep1.mp4', kind: 'video', episode: 1 }, { path: 'pages', kind: 'images' }],
};

let services: TestServices;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-refs-'));
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 });
  // 3 s with a black second at the start: flat frames are stored as not informative.
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=3', '-vf', "drawbox=c=black:t=fill:enable='lt(t,1)'", '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ep1.mp4');
  mkdirSync(path.join(work, 'pages'));
  ffmpeg('-f', 'lavfi', '-i', 'mandelbrot=size=320x180:rate=10', '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ep3.mp4');
  ffmpeg('-f', 'lavfi', '-i', 'mandelbrot=size=300x450', '-frames:v', '1', 'pages/01.png');
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=300x450', '-frames:v', '1', 'pages/02.png');
  services = await openTestServices();
}, 60_000);

afterAll(async () => {
  await services?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('stored reference fingerprints', () => {
  it('recompute references made by the old pure-TS pHash, then read back the same native fingerprints', async () => {
    const pool = services.db.pool;
    // A row as the pure-TS pHash left it: another fingerprinter, so another media hash.
    await pool.query(`insert into reference_fingerprints (content_id, media_hash, fingerprints, frames) values ('moonlit', 'old', $1, 1)`,
      [JSON.stringify({ fingerprinter: 'phash-dct-32', video: [{ at: 0, hash: 'ff' }], images: [] })]);
    expect(mediaHash(spec)).not.toBe('old');

    const first = await referencesFor(pool, 'moonlit', spec, work);
    expect(first.computed).toBe(true);
    const [video] = first.references.video;
    expect(video).toMatchObject({ media: 'ep1.mp4', episode: 1 });
    const times = Array.from({ length: 3 * REFERENCE_FPS }, (_, i) => i / REFERENCE_FPS);
    expect(video!.frames.map((f) => f.time)).toEqual(times);
    expect(video!.frames.map((f) => f.fingerprint.informative)).toEqual(times.map((t) => t >= 1));
    expect(first.references.images.map((p) => [p.media, p.page])).toEqual([['pages', 1], ['pages', 2]]);
    const row = await pool.query<{ frames: number; fingerprints: { fingerprinter: string } }>('select frames, fingerprints from reference_fingerprints');
    expect(row.rows[0]).toMatchObject({ frames: 3 * REFERENCE_FPS + 2, fingerprints: { fingerprinter: FINGERPRINTER } });

    const second = await referencesFor(pool, 'moonlit', spec, work);
    expect(second.computed).toBe(false);
    expect(referenceFrameCount(second.references)).toBe(3 * REFERENCE_FPS + 2);
    const strip = (r: typeof first.references) => ({
      video: r.video.map((v) => ({ ...v, frames: v.frames.map((f) => ({ time: f.time, bits: Buffer.from(f.fingerprint.bits).toString('hex'), informative: f.fingerprint.informative, hash: f.fingerprint.hash })) })),
      images: r.images.map((p) => ({ media: p.media, page: p.page, bits: Buffer.from(p.fingerprint.bits).toString('hex'), informative: p.fingerprint.informative })),
    });
    expect(strip(second.references)).toEqual(strip(first.references));
  });

  it('leave out reference media that is not there yet, say so, and recompute once it arrives', async () => {
    const pool = services.db.pool;
    const later: ContentSpec = { ...spec, referenceMedia: [{ path: 'ep1.mp4', kind: 'video', episode: 1 }, { path: 'ep2.mp4', kind: 'video', episode: 2 }] };
    const before = await referencesFor(pool, 'later', later, work);
    expect(before).toMatchObject({ computed: true, missing: ['ep2.mp4'] });
    expect(before.references.video.map((v) => v.media)).toEqual(['ep1.mp4']);
    expect((await referencesFor(pool, 'later', later, work)).computed).toBe(false);
    execFileSync('cp', [path.join(work, 'ep1.mp4'), path.join(work, 'ep2.mp4')]);
    const after = await referencesFor(pool, 'later', later, work);
    expect(after).toMatchObject({ computed: true, missing: [] });
    expect(after.references.video.map((v) => v.media)).toEqual(['ep1.mp4', 'ep2.mp4']);
  });

  it('store each video\'s bits in its own entry as one unbroken base64 string, the jsonb format rows always had', async () => {
    const pool = services.db.pool;
    const two: ContentSpec = { ...spec, referenceMedia: [{ path: 'ep1.mp4', kind: 'video', episode: 1 }, { path: 'ep3.mp4', kind: 'video', episode: 3 }, { path: 'pages', kind: 'images' }] };
    const { references } = await referencesFor(pool, 'two', two, work);
    const row = await pool.query<{ fingerprints: { video: { media: string; episode: number; bits: string; times: number[] }[]; images: { bits: string }[] } }>(
      "select fingerprints from reference_fingerprints where content_id = 'two'");
    const stored = row.rows[0]!.fingerprints;
    expect(stored.video.map((v) => [v.media, v.episode, v.times.length])).toEqual([['ep1.mp4', 1, 3 * REFERENCE_FPS], ['ep3.mp4', 3, 2 * REFERENCE_FPS]]);
    expect(stored.video.map((v) => v.bits)).toEqual(references.video.map((v) => Buffer.concat(v.frames.map((f) => f.fingerprint.bits)).toString('base64')));
    expect(stored.images.map((p) => p.bits)).toEqual(references.images.map((p) => Buffer.from(p.fingerprint.bits).toString('base64')));
    const again = await referencesFor(pool, 'two', two, work);
    expect(again.computed).toBe(false);
    expect(again.references.video.map((v) => v.frames.map((f) => Buffer.from(f.fingerprint.bits).toString('hex'))))
      .toEqual(references.video.map((v) => v.frames.map((f) => Buffer.from(f.fingerprint.bits).toString('hex'))));
  });
});
