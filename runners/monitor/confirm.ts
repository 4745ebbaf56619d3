import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DEFAULT_FRAME_THRESHOLD, matchImages, matchSequences, type Fingerprint, type SequenceMatch, type TimedFingerprint,
} from '../../native/fingerprint.js';
import type { ContentSpec } from '../../core/catalog/types.js';
import { downloadVideo, findMedia, type FindLimits, type FoundMedia } from './acquire.js';
import type { BrowserFallback } from './browser.js';
import type { Fetcher } from './fetch.js';
import { FINGERPRINTER, REFERENCE_FPS, SUSPECT_FPS, imageFingerprint, imageRegionFingerprints, videoFingerprints } from './fingerprint.js';
import type { Confirmer, Verdict } from './round.js';

/**
 * Phase 2: acquire the media behind a suspect (a video file, an HLS or DASH rendition found the way
 * a browser would, through iframes, player scripts and locker pages (acquire.ts), or the images of a
 * comic chapter) through the safe fetcher, never through ffmpeg's own network stack, and compare its
 * native perceptual fingerprints with the reference fingerprints of the original: video by offset
 * voting over sampled frames (matchSequences), image sets page by page (matchImages).
 */

/** One reference video (an episode, a film), sampled at REFERENCE_FPS. */
export interface ReferenceVideo {
  media: string;
  episode?: number;
  frames: TimedFingerprint[];
}

/** One page of a reference image set (a comic chapter); pages count from 1 in file-name order. */
export interface ReferencePage {
  media: string;
  page: number;
  fingerprint: Fingerprint;
}

export interface References {
  video: ReferenceVideo[];
  images: ReferencePage[];
}

export const referenceFrameCount = (r: References): number => r.video.reduce((n, v) => n + v.frames.length, 0) + r.images.length;

const IMAGE_FILE = /\.(png|jpe?g|webp|gif|bmp)$/i;

/** Reference fingerprints of a content's referenceMedia (paths relative to `root`), computed when it is registered. */
export async function referenceFingerprints(spec: ContentSpec, root: string): Promise<References> {
  const refs: References = { video: [], images: [] };
  for (const media of spec.referenceMedia ?? []) {
    const p = path.resolve(root, media.path);
    if (media.kind === 'images' || (await stat(p)).isDirectory()) {
      const files = (await readdir(p)).filter((f) => IMAGE_FILE.test(f)).sort();
      for (const [i, f] of files.entries()) {
        const fingerprint = await imageFingerprint(path.join(p, f));
        if (fingerprint) refs.images.push({ media: media.path, page: i + 1, fingerprint });
      }
    } else {
      refs.video.push({ media: media.path, ...(media.episode === undefined ? {} : { episode: media.episode }), frames: await videoFingerprints(p, { fps: REFERENCE_FPS }) });
    }
  }
  return refs;
}

/**
 * Policy `thresholds.matchDistance` is a normalized distance, bits / 64 (the unit of the distances a
 * verdict reports); the native frame threshold is in bits of 64. So 0.156 → 10 bits (the native
 * default, used when the policy sets none), 0.18 → 12. The native hashes have exactly 32 ones, so
 * distances are even and odd thresholds behave like the even number below. Capped at 32 bits (chance).
 */
export function frameThresholdOf(matchDistance: number | undefined): number {
  if (matchDistance === undefined) return DEFAULT_FRAME_THRESHOLD;
  return Math.min(32, Math.max(0, Math.round(matchDistance * 64)));
}

export interface ConfirmOptions {
  fetch: Fetcher;
  references: References;
  /** Largest normalized frame distance (Policy thresholds.matchDistance); see frameThresholdOf. */
  matchDistance?: number;
  /** Suspect video sampling rate (default SUSPECT_FPS) and the most frames sampled from its start (default 300: 150 s at 2 fps). */
  fps?: number;
  maxFrames?: number;
  maxMediaBytes?: number;
  maxSegments?: number;
  maxImages?: number;
  /** Bounds on the search for the media behind a page (acquire.ts FIND_DEFAULTS). */
  find?: Partial<FindLimits>;
  /** Media candidates downloaded and compared per suspect, best first (default 3). */
  maxCandidates?: number;
  /** The headless-browser fallback (browser.ts), for a page whose media nothing else found. */
  browser?: BrowserFallback;
}

const round3 = (x: number) => Number(x.toFixed(3));
const round2 = (x: number) => Number(x.toFixed(2));

/** The suspect against every reference video; the best is a match, else the one with most votes. */
function bestSequence(references: readonly ReferenceVideo[], candidate: TimedFingerprint[], frameThreshold: number): { ref: ReferenceVideo; m: SequenceMatch } | undefined {
  let best: { ref: ReferenceVideo; m: SequenceMatch } | undefined;
  for (const ref of references) {
    const m = matchSequences(ref.frames, candidate, { frameThreshold });
    if (!best || (m.matched && !best.m.matched) || (m.matched === best.m.matched && m.votes > best.m.votes)) best = { ref, m };
  }
  return best;
}

export function createConfirmer(o: ConfirmOptions): Confirmer {
  const frameThreshold = frameThresholdOf(o.matchDistance);
  const fps = o.fps ?? SUSPECT_FPS;
  const maxBytes = o.maxMediaBytes ?? 200 * 1024 * 1024;
  const compare = async (video: FoundMedia, dir: string, i: number): Promise<Verdict> => {
    const file = path.join(dir, `media-${i}.${video.kind === 'video' ? 'bin' : video.kind === 'hls' ? 'ts' : 'mp4'}`);
    await downloadVideo(o.fetch, video, file, { maxBytes, maxSegments: o.maxSegments ?? 30 });
    const frames = await videoFingerprints(file, { fps, maxFrames: o.maxFrames ?? 300, timeoutMs: 120_000 });
    const best = bestSequence(o.references.video, frames, frameThreshold);
    if (!best) return { verdict: 'unavailable', reason: 'no reference video' };
    const { ref, m } = best;
    const summary = `${m.votes} votes at offset ${round2(m.offset)} s, ${m.matchedFrames}/${m.comparableFrames} frames within ${frameThreshold} bits (coverage ${round2(m.coverage)})`;
    if (!m.matched) return { verdict: 'no-match', distance: m.distance, reason: `${summary} against ${ref.media} (${video.url}): below the decision rule` };
    const evidence = {
      media: video.url, kind: video.kind, fingerprinter: FINGERPRINTER, frameThreshold,
      // The pages read from the suspect to the media (iframes, a locker's countdown page), the suspect first.
      ...(video.via.length > 1 ? { via: video.via } : {}),
      ...(video.rendered ? { rendered: true } : {}),
      reference: { media: ref.media, ...(ref.episode === undefined ? {} : { episode: ref.episode }) },
      offset: round2(m.offset), votes: m.votes, runnerUpVotes: m.runnerUpVotes, distance: round3(m.distance), coverage: round3(m.coverage),
      checkedFrames: m.candidateFrames, matchedFrames: m.matchedFrames,
      // Suspect time → original time, seconds.
      matchedTimes: m.matchedSpans.map((s) => ({ from: round2(s.candStart), to: round2(s.candEnd), referenceFrom: round2(s.refStart), referenceTo: round2(s.refEnd) })),
    };
    return { verdict: 'match', distance: m.distance, evidence };
  };
  return async ({ page }): Promise<Verdict> => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vigil-confirm-'));
    try {
      if (o.references.video.length > 0) {
        const search = await findMedia(o.fetch, { url: page.url, media: page.media, ...(page.html ? { html: page.html } : {}), ...(page.capture ? { body: page.capture.body.toString('utf8') } : {}) }, o.find);
        if (search.media.length === 0 && search.removed.length === 0 && page.html && o.browser && o.browser.pagesLeft() > 0) {
          // The player appears only once scripts run: what the rendered page asked for is its media.
          try {
            const rendered = await o.browser.render(page.url);
            search.media.push(...rendered.media.map((m) => ({ ...m, via: [page.url], rendered: true })));
          } catch (error) {
            return { verdict: 'unavailable', reason: `the headless browser could not render the page: ${(error as Error).message}` };
          }
        }
        const verdicts: Verdict[] = [];
        for (const [i, video] of search.media.slice(0, o.maxCandidates ?? 3).entries()) {
          try {
            const v = await compare(video, dir, i);
            if (v.verdict === 'match') return v;
            verdicts.push(v);
          } catch (error) {
            verdicts.push({ verdict: 'unavailable', reason: `could not acquire the media: ${(error as Error).message}` });
          }
        }
        const rejected = verdicts.find((v) => v.verdict === 'no-match');
        if (rejected) return rejected;
        if (search.removed.length > 0 && search.media.length === 0) {
          return { verdict: 'no-match', reason: `the file is gone: ${search.removed[0]!.url} is a removed-file page (${search.removed[0]!.signals.slice(0, 3).join('; ')})` };
        }
        if (verdicts[0]) return verdicts[0];
      }
      const media = page.media.filter((m) => m.kind === 'image' && o.references.images.length > 0);
      if (media.length === 0) return { verdict: 'unavailable', reason: page.media.length === 0 ? 'no media on the page' : 'no reference fingerprints for this kind of media' };
      const images = media.filter((m) => m.kind === 'image').slice(0, o.maxImages ?? 40);
      const pages: { page: number; region?: number; url: string; fingerprint: Fingerprint }[] = [];
      for (const [i, img] of images.entries()) {
        const file = path.join(dir, `p${i}`);
        try {
          await writeFile(file, (await o.fetch(img.url, { accept: ['image/*'], maxBytes: 20 * 1024 * 1024 })).body);
          // A long strip stacks several pages: each region is matched as a page of the set.
          const regions = await imageRegionFingerprints(file);
          for (const [r, fingerprint] of regions.entries()) pages.push({ page: i + 1, ...(regions.length > 1 ? { region: r + 1 } : {}), url: img.url, fingerprint });
        } catch { /* a broken image is not evidence either way */ }
      }
      const refs = o.references.images;
      const r = matchImages(refs.map((p) => p.fingerprint), pages.map((p) => p.fingerprint), { threshold: frameThreshold });
      const matched = r.pages.filter((p) => p.matched);
      const distance = matched.length > 0 ? matched.reduce((s, p) => s + p.distance, 0) / matched.length / 64 : 1;
      if (!r.matched) return { verdict: 'no-match', distance, reason: `${r.matchedPages} of ${pages.length} pages within ${frameThreshold} bits` };
      const evidence = {
        kind: 'images', fingerprinter: FINGERPRINTER, frameThreshold, checkedPages: pages.length,
        matchedPages: matched.map((p) => {
          const ref = refs[p.reference]!;
          const c = pages[p.candidate]!;
          return { page: c.page, ...(c.region ? { region: c.region } : {}), url: c.url, reference: { media: ref.media, page: ref.page }, distance: round3(p.distance / 64) };
        }),
      };
      return { verdict: 'match', distance, evidence };
    } catch (error) {
      return { verdict: 'unavailable', reason: `could not acquire the media: ${(error as Error).message}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
