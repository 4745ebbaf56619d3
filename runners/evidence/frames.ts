import { access, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContentSpec } from '../../core/catalog/types.js';
import { VigilError } from '../../core/errors.js';
import { redactedMessage } from '../../core/redact.js';
import { fingerprintDistance } from '../../native/fingerprint.js';
import { addInputOptions, addOutputOptions, newCommand, start } from '../media/ffmpeg-run.js';
import { downloadVideo } from '../monitor/acquire.js';
import type { Fetcher } from '../monitor/fetch.js';
import { imageFingerprint } from '../monitor/fingerprint.js';

/**
 * The matched frames of a finding, each beside its reference frame as one labelled PNG: for video,
 * at times inside the spans phase 2 matched (suspect time → original time); for an image set, each
 * matched page beside its reference page. The leak is fetched again through the safe fetcher, within
 * a size bound (ffmpeg never touches the network); the reference comes from the Content's reference
 * media under the media root. Each pair's distance is measured again on the two frames grabbed
 * (the native crop- and mirror-tolerant distance, bits / 64, like every distance Vigil reports), so
 * the picture and the number shown on it belong together.
 *
 * What cannot be made (the leak is gone, no reference media) is returned as `missing` with the
 * reason, for the pack's manifest: never left out in silence.
 */

export interface FramePair {
  /** The PNG, relative to the pack's root (frames/…). */
  file: string;
  reference: string;
  /** Video: the leak's time and the reference's, seconds. */
  leakTime?: number;
  referenceTime?: number;
  /** Images: the leak's page and the reference's. */
  page?: number;
  referencePage?: number;
  leakUrl: string;
  /** Bits / 64 between the two frames shown. */
  distance: number;
  /** Whether the label (times, distance) is drawn on the picture; ffmpeg without fonts cannot. */
  labelled: boolean;
}

export interface MissingPart {
  part: string;
  why: string;
}

export interface FramesResult {
  pairs: FramePair[];
  missing: MissingPart[];
}

export interface FramesOptions {
  /** The finding's evidence.phase2 (as recorded by runners/monitor/confirm.ts). */
  phase2: unknown;
  fetch: Fetcher;
  content: Pick<ContentSpec, 'referenceMedia'> | undefined;
  mediaRoot: string;
  /** The pack's root; pictures go to frames/ under it, downloads to a work folder removed afterwards. */
  packDir: string;
  workDir: string;
  /** Pairs at most (default 4: each costs four ffmpeg runs). */
  maxFrames?: number;
  /** Bytes of leak media at most (default 200 MiB, as phase 2). */
  maxMediaBytes?: number;
  signal?: AbortSignal;
}

interface VideoEvidence {
  kind: 'video' | 'hls' | 'dash';
  media: string;
  reference: string;
  spans: { from: number; to: number; referenceFrom: number }[];
}

interface ImageEvidence {
  kind: 'images';
  pages: { page: number; url: string; reference: string; referencePage: number }[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** The phase-2 evidence as this module needs it; undefined when it holds neither matched times nor pages. */
export function matchedEvidence(phase2: unknown): VideoEvidence | ImageEvidence | undefined {
  const p = obj(phase2);
  if (!p) return undefined;
  if (p.kind === 'images' && Array.isArray(p.matchedPages)) {
    const pages = p.matchedPages.map(obj).flatMap((m) => {
      const ref = obj(m?.reference);
      const page = num(m?.page);
      const url = str(m?.url);
      const reference = str(ref?.media);
      const referencePage = num(ref?.page);
      return page !== undefined && url && reference && referencePage !== undefined ? [{ page, url, reference, referencePage }] : [];
    });
    return { kind: 'images', pages };
  }
  const media = str(p.media);
  const reference = str(obj(p.reference)?.media);
  if ((p.kind === 'video' || p.kind === 'hls' || p.kind === 'dash') && media && reference && Array.isArray(p.matchedTimes)) {
    const spans = p.matchedTimes.map(obj).flatMap((t) => {
      const from = num(t?.from);
      const to = num(t?.to);
      const referenceFrom = num(t?.referenceFrom);
      return from !== undefined && to !== undefined && referenceFrom !== undefined && to >= from ? [{ from, to, referenceFrom }] : [];
    });
    return { kind: p.kind, media, reference, spans };
  }
  return undefined;
}

/**
 * Up to `max` leak times spread over the matched spans, each with its reference time: every span
 * gets its share, at evenly spaced points inside it (never its very edges, where a cut may fall).
 */
export function frameTimes(spans: VideoEvidence['spans'], max: number): { leak: number; reference: number }[] {
  if (spans.length === 0 || max <= 0) return [];
  const per = Math.max(1, Math.floor(max / spans.length));
  const out: { leak: number; reference: number }[] = [];
  for (const s of spans) {
    for (let i = 0; i < per && out.length < max; i += 1) {
      const leak = Number((s.from + ((i + 0.5) / per) * (s.to - s.from)).toFixed(2));
      out.push({ leak, reference: Number((s.referenceFrom + (leak - s.from)).toFixed(2)) });
    }
  }
  return out;
}

/** m:ss.s, for labels. */
export function clock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, '0')}`;
}

async function ffmpegOnce(build: ReturnType<typeof newCommand>, label: string, signal: AbortSignal | undefined, timeoutMs = 60_000): Promise<void> {
  const run = start(build, label);
  const kill = (): void => run.kill();
  const timer = setTimeout(kill, timeoutMs);
  signal?.addEventListener('abort', kill, { once: true });
  try {
    await run.done;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', kill);
  }
  if (signal?.aborted) throw new VigilError('INTERRUPTED', 'the evidence pack was stopped before it finished; no pack was written');
}

/** One frame of each input (at its time in seconds, or its only picture) as a PNG each, in one ffmpeg run. */
async function grabBoth(a: { input: string; time: number | undefined; out: string }, b: { input: string; time: number | undefined; out: string }, signal?: AbortSignal): Promise<void> {
  const seek = (t: number | undefined): string[] => (t === undefined ? [] : ['-ss', String(t)]);
  let command = addInputOptions(newCommand().input(a.input), seek(a.time));
  command = addInputOptions(command.input(b.input), seek(b.time));
  command = addOutputOptions(command.output(a.out), ['-map', '0:v:0', '-frames:v', '1', '-y']);
  command = addOutputOptions(command.output(b.out), ['-map', '1:v:0', '-frames:v', '1', '-y']);
  await ffmpegOnce(command, `grab the frames of ${path.basename(a.input)} and ${path.basename(b.input)}`, signal);
}

/** The two frames side by side at one height, a label band above them. */
async function sideBySide(leak: string, reference: string, labelFile: string | undefined, out: string, signal?: AbortSignal): Promise<void> {
  const label = labelFile ? `,drawtext=textfile='${labelFile.replace(/[\\':]/g, (c) => `\\${c}`)}':fontcolor=white:fontsize=16:x=10:y=12` : '';
  const graph = `[0:v]scale=-2:360,setsar=1,format=rgb24[a];[1:v]scale=-2:360,setsar=1,format=rgb24[b];[a][b]hstack=inputs=2,pad=iw:ih+44:0:44:black${label}[out]`;
  const command = addOutputOptions(newCommand().input(leak).input(reference).complexFilter(graph), ['-map', '[out]', '-frames:v', '1', '-y']).output(out);
  await ffmpegOnce(command, 'put the leak frame beside the reference frame', signal);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

const IMAGE_FILE = /\.(png|jpe?g|webp|gif|bmp)$/i;

/** A reference page's file: pages count from 1 in file-name order (as phase 2 numbered them). */
async function referencePageFile(dir: string, page: number): Promise<string | undefined> {
  const files = (await readdir(dir)).filter((f) => IMAGE_FILE.test(f)).sort();
  return files[page - 1] === undefined ? undefined : path.join(dir, files[page - 1]!);
}

/** A labelled pair: grab both frames, measure their distance, put them side by side. */
async function makePair(o: FramesOptions, n: number, leakInput: string, leakTime: number | undefined, refInput: string, refTime: number | undefined, name: string, label: (distance: number) => string): Promise<{ distance: number; labelled: boolean; file: string }> {
  const leakPng = path.join(o.workDir, `leak-${n}.png`);
  const refPng = path.join(o.workDir, `ref-${n}.png`);
  await grabBoth({ input: leakInput, time: leakTime, out: leakPng }, { input: refInput, time: refTime, out: refPng }, o.signal);
  const [a, b] = await Promise.all([imageFingerprint(leakPng), imageFingerprint(refPng)]);
  const distance = a && b ? Number((fingerprintDistance(a, b) / 64).toFixed(3)) : 1;
  const labelFile = path.join(o.workDir, `label-${n}.txt`);
  await writeFile(labelFile, label(distance));
  const file = `frames/${name}`;
  const out = path.join(o.packDir, file);
  try {
    await sideBySide(leakPng, refPng, labelFile, out, o.signal);
    return { distance, labelled: true, file };
  } catch (error) {
    if (o.signal?.aborted) throw error;
    // An ffmpeg without a usable font cannot draw text: the pair is still evidence, and distances.json carries the label.
    await sideBySide(leakPng, refPng, undefined, out, o.signal);
    return { distance, labelled: false, file };
  }
}

function why(error: unknown): string {
  return redactedMessage(error);
}

export async function matchedFrames(o: FramesOptions): Promise<FramesResult> {
  const evidence = matchedEvidence(o.phase2);
  if (!evidence) return { pairs: [], missing: [{ part: 'frames', why: 'the finding records no matched times or pages (phase 2 evidence has none)' }] };
  await mkdir(path.join(o.packDir, 'frames'), { recursive: true });
  await mkdir(o.workDir, { recursive: true });
  const max = o.maxFrames ?? 4;
  const pairs: FramePair[] = [];
  const missing: MissingPart[] = [];
  const referencePath = (media: string): string => path.resolve(o.mediaRoot, media);
  const listed = (media: string): boolean => (o.content?.referenceMedia ?? []).some((m) => m.path === media);
  try {
    if (evidence.kind === 'images') {
      for (const [i, p] of evidence.pages.slice(0, max).entries()) {
        const part = `frames: page ${p.page}`;
        const dir = referencePath(p.reference);
        if (!listed(p.reference)) { missing.push({ part, why: `the Content no longer lists reference media ${p.reference}` }); continue; }
        const refFile = (await exists(dir)) && (await stat(dir)).isDirectory() ? await referencePageFile(dir, p.referencePage) : undefined;
        if (!refFile) { missing.push({ part, why: `reference page ${p.referencePage} of ${p.reference} is not under the media root ${o.mediaRoot}` }); continue; }
        const leakFile = path.join(o.workDir, `page-${p.page}`);
        try {
          await writeFile(leakFile, (await o.fetch(p.url, { accept: ['image/*'], maxBytes: 20 * 1024 * 1024, ...(o.signal ? { signal: o.signal } : {}) })).body);
        } catch (error) {
          if (o.signal?.aborted) throw error;
          missing.push({ part, why: `the leaked page ${p.url} could not be fetched again: ${why(error)}` });
          continue;
        }
        const name = `${String(i + 1).padStart(2, '0')}-page-${p.page}-ref-page-${p.referencePage}.png`;
        const made = await makePair(o, i + 1, leakFile, undefined, refFile, undefined, name,
          (d) => `leak page ${p.page}  |  reference ${p.reference} page ${p.referencePage}  |  distance ${d.toFixed(3)}`);
        pairs.push({ file: made.file, reference: p.reference, page: p.page, referencePage: p.referencePage, leakUrl: p.url, distance: made.distance, labelled: made.labelled });
      }
      return { pairs, missing };
    }
    const times = frameTimes(evidence.spans, max);
    if (times.length === 0) return { pairs, missing: [{ part: 'frames', why: 'the finding records no matched time spans' }] };
    const refFile = referencePath(evidence.reference);
    if (!listed(evidence.reference) || !(await exists(refFile))) {
      return { pairs, missing: [{ part: 'frames', why: `reference media ${evidence.reference} is ${listed(evidence.reference) ? `not under the media root ${o.mediaRoot}` : 'no longer listed by the Content'}` }] };
    }
    const leakFile = path.join(o.workDir, evidence.kind === 'hls' ? 'leak.ts' : evidence.kind === 'dash' ? 'leak.mp4' : 'leak.bin');
    try {
      await downloadVideo(o.fetch, { url: evidence.media, kind: evidence.kind }, leakFile, { maxBytes: o.maxMediaBytes ?? 200 * 1024 * 1024, maxSegments: 30 });
    } catch (error) {
      if (o.signal?.aborted) throw error;
      return { pairs, missing: [{ part: 'frames', why: `the leaked media ${evidence.media} could not be fetched again: ${why(error)}` }] };
    }
    for (const [i, t] of times.entries()) {
      const name = `${String(i + 1).padStart(2, '0')}-leak-${t.leak.toFixed(2)}s-ref-${t.reference.toFixed(2)}s.png`;
      try {
        const made = await makePair(o, i + 1, leakFile, t.leak, refFile, t.reference, name,
          (d) => `leak ${clock(t.leak)}  |  reference ${evidence.reference} ${clock(t.reference)}  |  distance ${d.toFixed(3)}`);
        pairs.push({ file: made.file, reference: evidence.reference, leakTime: t.leak, referenceTime: t.reference, leakUrl: evidence.media, distance: made.distance, labelled: made.labelled });
      } catch (error) {
        if (o.signal?.aborted) throw error;
        missing.push({ part: `frames: leak ${t.leak.toFixed(2)} s`, why: `ffmpeg could not grab or join the frames: ${why(error)}` });
      }
    }
    return { pairs, missing };
  } finally {
    await rm(o.workDir, { recursive: true, force: true });
  }
}
