import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ContentSpec } from '../../core/catalog/types.js';
import { HLS_SEGMENTS, HLS_SEGMENT_SECONDS } from './generate.js';
import { IMAGE_MEDIA, VIDEO_MEDIA, type ContentId, type ImageMediaId, type VideoMediaId } from './labels.js';

/**
 * The corpus's media, made with ffmpeg and cached under .vigil/bench/pirate-web/<recipe hash>:
 * the catalog's reference media (at the paths catalog/content names, generated, since the example
 * catalog ships no video), the leaks made from them (re-encoded, scaled, cropped, letterboxed, each
 * also cut into HLS segments), another title's videos for decoys, and the comic's chapter pages
 * with the same pages stacked into long strips, beside another comic's pages.
 */

const exec = promisify(execFile);
const ffmpeg = (cwd: string, ...args: string[]) => exec('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { cwd, timeout: 120_000 });

const SECONDS = HLS_SEGMENTS * HLS_SEGMENT_SECONDS;
const FPS = 10;
/** Keyframes every segment, so the HLS muxer cuts exactly HLS_SEGMENTS pieces. */
const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(FPS * HLS_SEGMENT_SECONDS), '-keyint_min', String(FPS * HLS_SEGMENT_SECONDS), '-sc_threshold', '0', '-an'];

/** Episode reference sources and other titles' videos (lavfi), 320x180 at 10 fps. */
const REFERENCE_SOURCES: Record<1 | 2, string> = { 1: 'testsrc2=size=320x180:rate=10', 2: 'mandelbrot=size=320x180:rate=10' };
const OTHER_SOURCES: Record<'other-a' | 'other-b' | 'other-c', string> = {
  'other-a': 'life=size=320x180:rate=10:mold=10:ratio=0.3:seed=42:life_color=#d0b070:death_color=#102040,gblur=sigma=1',
  'other-b': 'cellauto=size=320x180:rate=10:rule=110:seed=9,scale=320:180',
  'other-c': 'sierpinski=size=320x180:rate=10:seed=5:jump=50',
};
/** Leak variants of a reference episode: the filters and quality each re-encode applies. */
const LEAK_FILTERS: Record<Exclude<VideoMediaId, keyof typeof OTHER_SOURCES>, { episode: 1 | 2; vf: string; crf: number }> = {
  'mh-e1-scaled': { episode: 1, vf: 'scale=256:144', crf: 32 },
  'mh-e1-cropped': { episode: 1, vf: 'crop=iw*0.92:ih*0.92,scale=288:162', crf: 30 },
  'mh-e1-lowq': { episode: 1, vf: 'null', crf: 42 },
  'mh-e2-scaled': { episode: 2, vf: 'scale=240:136', crf: 32 },
  'mh-e2-cropped': { episode: 2, vf: 'crop=iw*0.9:ih*0.9:8:6,scale=288:162', crf: 30 },
  'mh-e2-letterbox': { episode: 2, vf: 'scale=320:150,pad=320:180:0:15', crf: 30 },
};
/** The comic's reference pages (600x900) and another comic's pages. */
const PAGE_SOURCES = ['mandelbrot', 'testsrc2', 'sierpinski=seed=3', 'life=seed=11:mold=10'];
const OTHER_PAGE_SOURCES = ['cellauto=rule=30:seed=5', 'cellauto=rule=90:seed=2', 'life=seed=77:mold=4:ratio=0.5'];

const RECIPE = JSON.stringify({ v: 1, SECONDS, FPS, X264, REFERENCE_SOURCES, OTHER_SOURCES, LEAK_FILTERS, PAGE_SOURCES, OTHER_PAGE_SOURCES, HLS_SEGMENTS });

export interface CorpusMedia {
  /** Where the catalog's referenceMedia paths resolve (the `root` of referenceFingerprints). */
  referenceRoot: string;
  video: Map<VideoMediaId, { mp4: Buffer; segments: Buffer[] }>;
  images: Map<ImageMediaId, Buffer>;
}

function lavfiPicture(source: string): string {
  const eq = source.indexOf('=');
  return eq < 0 ? `${source}=size=600x900` : `${source.slice(0, eq)}=size=600x900:${source.slice(eq + 1)}`;
}

/** The reference media paths of the two contents, checked against the kinds the corpus needs. */
function referencePaths(contents: Record<ContentId, ContentSpec>): { episodes: Record<1 | 2, string>; chapter: string } {
  const video = contents['moonlit-harbor-s01'].referenceMedia ?? [];
  const ep = (n: number) => video.find((m) => m.episode === n && m.kind !== 'images')?.path;
  const chapter = contents['star-courier-webtoon'].referenceMedia?.find((m) => m.kind === 'images')?.path;
  const e1 = ep(1);
  const e2 = ep(2);
  if (!e1 || !e2 || !chapter) throw new Error('catalog/content must give moonlit-harbor-s01 reference videos for episodes 1 and 2 and star-courier-webtoon a reference image folder');
  return { episodes: { 1: e1, 2: e2 }, chapter };
}

async function build(dir: string, contents: Record<ContentId, ContentSpec>): Promise<void> {
  const refs = referencePaths(contents);
  const root = path.join(dir, 'catalog');
  for (const e of [1, 2] as const) {
    const file = path.join(root, refs.episodes[e]);
    mkdirSync(path.dirname(file), { recursive: true });
    await ffmpeg(dir, '-f', 'lavfi', '-i', REFERENCE_SOURCES[e], '-t', String(SECONDS), ...X264, '-crf', '18', file);
  }
  const clips = path.join(dir, 'clips');
  mkdirSync(clips, { recursive: true });
  const jobs: Promise<unknown>[] = [];
  for (const [id, f] of Object.entries(LEAK_FILTERS)) jobs.push(ffmpeg(dir, '-i', path.join(root, refs.episodes[f.episode]), '-vf', f.vf, ...X264, '-crf', String(f.crf), path.join(clips, `${id}.mp4`)));
  for (const [id, src] of Object.entries(OTHER_SOURCES)) jobs.push(ffmpeg(dir, '-f', 'lavfi', '-i', src, '-t', String(SECONDS), ...X264, '-crf', '30', path.join(clips, `${id}.mp4`)));
  await Promise.all(jobs);
  for (const id of VIDEO_MEDIA) {
    const hls = path.join(clips, id);
    mkdirSync(hls, { recursive: true });
    await ffmpeg(hls, '-i', path.join(clips, `${id}.mp4`), '-c', 'copy', '-f', 'hls', '-hls_time', String(HLS_SEGMENT_SECONDS), '-hls_list_size', '0', '-hls_segment_filename', 'seg%d.ts', 'index.m3u8');
    const n = readdirSync(hls).filter((f) => f.endsWith('.ts')).length;
    if (n !== HLS_SEGMENTS) throw new Error(`${id}: ffmpeg cut ${n} HLS segments, the corpus needs ${HLS_SEGMENTS}`);
  }
  const chapter = path.join(root, refs.chapter);
  mkdirSync(chapter, { recursive: true });
  const images = path.join(dir, 'images');
  mkdirSync(images, { recursive: true });
  await Promise.all(PAGE_SOURCES.map((s, i) => ffmpeg(dir, '-f', 'lavfi', '-i', lavfiPicture(s), '-ss', '2', '-frames:v', '1', path.join(chapter, `${String(i + 1).padStart(2, '0')}.png`))));
  await Promise.all(OTHER_PAGE_SOURCES.map((s, i) => ffmpeg(dir, '-f', 'lavfi', '-i', lavfiPicture(s), '-ss', '2', '-frames:v', '1', path.join(images, `other-${i + 1}.png`))));
  const page = (i: number) => path.join(chapter, `${String(i).padStart(2, '0')}.png`);
  // Leaked pages: cropped 6 %, 420 px wide, JPEG about quality 50; strips: pages stacked into one long image.
  const jpeg = (input: string[], vf: string, out: string) => ffmpeg(dir, ...input, '-filter_complex', vf, '-q:v', '8', path.join(images, `${out}.jpg`));
  await Promise.all([
    ...[1, 2, 3, 4].map((i) => jpeg(['-i', page(i)], 'crop=iw*0.94:ih*0.94,scale=420:-2', `sc-p${i}`)),
    jpeg(['-i', page(1), '-i', page(2)], '[0][1]vstack=inputs=2,scale=420:-2', 'sc-strip-a'),
    jpeg(['-i', page(3), '-i', page(4)], '[0][1]vstack=inputs=2,crop=iw*0.97:ih*0.99,scale=420:-2', 'sc-strip-b'),
    ...[1, 2, 3].map((i) => jpeg(['-i', path.join(images, `other-${i}.png`)], 'scale=420:-2', `oc-p${i}`)),
    jpeg(['-i', path.join(images, 'other-1.png'), '-i', path.join(images, 'other-2.png')], '[0][1]vstack=inputs=2,scale=420:-2', 'oc-strip'),
  ]);
}

/** The corpus media, from the cache when the recipe is unchanged, else made (about half a minute). */
export async function corpusMedia(cacheRoot: string, contents: Record<ContentId, ContentSpec>): Promise<CorpusMedia> {
  const key = createHash('sha256').update(RECIPE).update(JSON.stringify(referencePaths(contents))).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot, key);
  if (!existsSync(path.join(dir, 'done'))) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await build(tmp, contents);
    writeFileSync(path.join(tmp, 'done'), RECIPE);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  const clips = path.join(dir, 'clips');
  const video = new Map(VIDEO_MEDIA.map((id) => [id, {
    mp4: readFileSync(path.join(clips, `${id}.mp4`)),
    segments: Array.from({ length: HLS_SEGMENTS }, (_, i) => readFileSync(path.join(clips, id, `seg${i}.ts`))),
  }]));
  const images = new Map(IMAGE_MEDIA.map((id) => [id, readFileSync(path.join(dir, 'images', `${id}.jpg`))]));
  return { referenceRoot: path.join(dir, 'catalog'), video, images };
}
