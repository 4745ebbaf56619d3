import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abPackageById } from '../../../core/db/ab-packages.js';
import { isVigilError } from '../../../core/errors.js';
import { readPackageManifest, type PackageManifest } from '../../../core/package-layout.js';
import { decodeWmPaceInfo } from '../../../core/wmpaceinfo.js';
import { parseHls } from '../../../runners/media/hls.js';
import { runPackageCommand } from '../../../runners/package/command.js';
import type { PackageSummary } from '../../../runners/package/package.js';
import { detectRestream } from '../../../runners/package/detect-restream.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { ffprobeJson } from '../media/clips.js';
import { FPS, makeTitle } from './fixtures.js';

const KEY_HEX = '5a1e6a8092a4c6e8f0123456789abcdef0fedcba9876543210a1b2c3d4e5f607';
let services: TestServices;
let dir: string;
let title: string;
let summary: PackageSummary;
let pkg: string;

const run = (input: string, out: string, extra: { segmentSeconds?: number; contentId?: string } = {}): Promise<PackageSummary> =>
  runPackageCommand({ input, out, preset: 'ultrafast', segmentSeconds: 1, ...extra }, {
    env: { VIGIL_WATERMARK_KEY: KEY_HEX }, cwd: dir, pool: async () => services.db.pool, actor: 'test', database: 'the test database',
  });

beforeAll(async () => {
  services = await openTestServices();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-package-'));
  // 6 whole 1 s segments and a 3-frame tail (0.375 s), too short to carry a pattern bit.
  title = await makeTitle(dir, 6 + 3 / FPS);
  pkg = path.join(dir, 'pkg');
  summary = await run(title, pkg);
}, 120_000);

afterAll(async () => {
  await services?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('vigil package', () => {
  it('writes the layout: manifest, neutral playlist, one shared init, A/ and B/ segments with WMPaceInfo sidecars', async () => {
    const read = readPackageManifest(await fs.readFile(path.join(pkg, 'vigil-package.json'), 'utf8'));
    expect(read.ok).toBe(true);
    const manifest = (read as { manifest: PackageManifest }).manifest;
    expect(manifest.segments.map((s) => s.position)).toEqual([0, 1, 2, 3, 4, 5, -1]);
    expect(manifest.segments.slice(0, 6).every((s) => s.durationSeconds === 1)).toBe(true);
    const playlist = parseHls(await fs.readFile(path.join(pkg, manifest.playlist), 'utf8'), 'http://edge.invalid/t/playlist.m3u8');
    expect(playlist.kind).toBe('media');
    if (playlist.kind !== 'media') return;
    expect(playlist.ended).toBe(true);
    expect(playlist.map?.url).toBe('http://edge.invalid/t/init.mp4');
    expect(playlist.segments.map((s) => path.basename(s.url))).toEqual(manifest.segments.map((s) => s.uri));
    // The init is shared: A's and B's came out byte-identical and only one is kept.
    expect(summary.initIdentical).toBe(true);
    expect(await fs.stat(path.join(pkg, 'A', 'init.mp4')).catch(() => undefined)).toBeUndefined();
    expect(await fs.stat(path.join(pkg, 'B', 'init.mp4')).catch(() => undefined)).toBeUndefined();
    for (const s of manifest.segments) {
      const a = await fs.readFile(path.join(pkg, 'A', s.uri));
      const sidecarA = decodeWmPaceInfo(await fs.readFile(path.join(pkg, 'A', `${s.uri}.wmpaceinfo`)));
      expect(sidecarA).toEqual({ ok: true, segments: [{ position: s.position, firstpart: true, lastpart: true }] });
      if (s.position < 0) {
        // Unmarked: served from A/ to every session, so B/ has neither the segment nor a sidecar.
        expect(await fs.stat(path.join(pkg, 'B', s.uri)).catch(() => undefined)).toBeUndefined();
        continue;
      }
      const b = await fs.readFile(path.join(pkg, 'B', s.uri));
      expect(a.equals(b)).toBe(false);
      expect(decodeWmPaceInfo(await fs.readFile(path.join(pkg, 'B', `${s.uri}.wmpaceinfo`)))).toEqual(sidecarA);
    }
    // No temp folder is left beside the package.
    expect((await fs.readdir(dir)).filter((n) => n.includes('.partial'))).toEqual([]);
  });

  it('cuts every segment at a keyframe, one GOP each, and a session copy (init + mixed A/B segments) plays as one stream', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(pkg, 'vigil-package.json'), 'utf8')) as PackageManifest;
    const mixed = path.join(dir, 'mixed.mp4');
    const parts = [await fs.readFile(path.join(pkg, 'init.mp4'))];
    for (const [i, s] of manifest.segments.entries()) parts[i + 1] = await fs.readFile(path.join(pkg, s.position >= 0 && i % 2 === 1 ? 'B' : 'A', s.uri));
    await fs.writeFile(mixed, Buffer.concat(parts));
    const probe = await ffprobeJson(mixed, ['-select_streams', 'v:0', '-show_frames', '-show_entries', 'frame=key_frame,pts_time']);
    const frames = (probe.frames ?? []) as unknown as { key_frame: number }[];
    expect(frames.length).toBe(6 * FPS + 3);
    const keys = frames.flatMap((f, i) => (f.key_frame === 1 ? [i] : []));
    expect(keys).toEqual([0, 8, 16, 24, 32, 40, 48]);
  });

  it('records the package (content, folder, key, segment count, positions) before it appears', async () => {
    const row = await abPackageById(services.db.pool, summary.manifest.packageId);
    expect(row).toMatchObject({ dir: pkg, keyId: summary.manifest.keyId, segmentCount: 7, markedCount: 6, positions: [0, 1, 2, 3, 4, 5, -1], segmentSeconds: 1 });
    const audit = await services.db.pool.query("select actor, reason from audit_log where action = 'package'");
    expect(audit.rows).toEqual([{ actor: 'test', reason: expect.stringContaining(summary.manifest.packageId) }]);
  });

  it('refuses an existing --out, a segment length that is not whole frames, an unknown --content, and a folder that is no package', async () => {
    const exists = await run(title, pkg).catch((e: unknown) => e);
    expect(isVigilError(exists, 'PACKAGE_OUT_EXISTS')).toBe(true);
    const frames = await run(title, path.join(dir, 'p2'), { segmentSeconds: 0.55 }).catch((e: unknown) => e);
    expect(isVigilError(frames, 'PACKAGE_SEGMENTS_INVALID')).toBe(true);
    expect((frames as Error).message).toContain(title);
    expect((frames as Error).message).toContain('4.400 frames');
    const content = await run(title, path.join(dir, 'p3'), { contentId: 'no-such-title' }).catch((e: unknown) => e);
    expect(isVigilError(content, 'PACKAGE_CONTENT_UNKNOWN')).toBe(true);
    const notPackage = await detectRestream({ packageDir: dir, recording: title }).catch((e: unknown) => e);
    expect(isVigilError(notPackage, 'PACKAGE_UNREADABLE')).toBe(true);
    expect((notPackage as Error).message).toContain(path.join(dir, 'vigil-package.json'));
    // A package with a segment file gone names it.
    const copy = path.join(dir, 'broken');
    await fs.cp(pkg, copy, { recursive: true });
    await fs.rm(path.join(copy, 'B', 'seg_00003.m4s'));
    const missing = await detectRestream({ packageDir: copy, recording: title }).catch((e: unknown) => e);
    expect(isVigilError(missing, 'PACKAGE_UNREADABLE')).toBe(true);
    expect((missing as Error).message).toContain(path.join(copy, 'B', 'seg_00003.m4s'));
    expect((await fs.readdir(dir)).filter((n) => n.includes('.partial') || n === 'p2' || n === 'p3')).toEqual([]);
  });
});
