import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { takedownHeldForDetection } from '../../core/db/finding-actions.js';
import { findingById, setDetectionStatus } from '../../core/db/findings.js';
import type { Config } from '../../core/config.js';
import { isVigilError, VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { DetectionStatus } from '../../core/status.js';
import { downloadVideo, type VideoMedia } from '../monitor/acquire.js';
import { createFetcher, parseResolve } from '../monitor/fetch.js';
import { runDetectCommand } from './detect.js';
import type { RecipientMatch } from './recipients.js';

/**
 * Watermark detection on a finding: download the leaked copy behind it (through the safe fetcher),
 * read the recipient ID, and keep the finding's detection status in step:
 * Downloading → Detecting → Completed, or Error / Failed / Canceled. What was found is recorded on
 * the finding (evidence.detection) and every step is audited.
 */

export interface FindingDetectionDeps {
  pool: pg.Pool;
  config: Config;
  log: Logger;
  env: Record<string, string | undefined>;
  cwd: string;
  signal?: AbortSignal;
}

export interface FindingDetectionResult {
  findingId: number;
  status: DetectionStatus;
  found?: boolean;
  watermarkId?: number;
  recipient?: string;
  reason?: string;
}

const MAX_LEAK_BYTES = 4 * 1024 * 1024 * 1024;

async function setStatus(deps: FindingDetectionDeps, findingId: number, status: DetectionStatus, reason: string, detection?: Record<string, unknown>): Promise<void> {
  await setDetectionStatus(deps.pool, findingId, status, { actor: 'detector', reason }, detection);
  // Detection ended: a takedown its monitoring job asked for, held until now, may go.
  if (status === 'Completed' || status === 'Not Available') await takedownHeldForDetection(deps.pool, findingId);
}

/** The leaked video a finding points at: phase 2 (monitor/confirm.ts) keeps it as evidence.phase2.media and .kind. */
export function mediaOf(evidence: Record<string, unknown>): VideoMedia | undefined {
  const phase2 = evidence.phase2;
  if (typeof phase2 !== 'object' || phase2 === null) return undefined;
  const { media: url, kind } = phase2 as Record<string, unknown>;
  if (typeof url !== 'string' || (kind !== 'video' && kind !== 'hls')) return undefined;
  return { url, kind };
}

/** What detection found on a leaked copy, as a finding or a detection request keeps it. */
export interface LeakDetection {
  found: boolean;
  watermarkId: number | null;
  /** As the lookup found it (name, id, retired …), kept whole on the record. */
  recipient: RecipientMatch | null;
  keyId: string | null;
  ledgerId: number | null;
  confidence: number;
  falseAlarmProbability: number;
  markedFraction: number;
  at: string;
}

/** Which stage a download-and-detect is at, for the record it keeps in step. */
export type LeakStage = 'downloading' | 'detecting';

/**
 * Downloads a leaked video through the safe fetcher (private addresses refused, size bounded) into
 * a scratch folder, reads its watermark, and removes the folder. `step` hears each stage first.
 * Shared by detection on a finding and on a link a person gave.
 */
export async function downloadAndDetect(deps: FindingDetectionDeps, media: VideoMedia, step: (stage: LeakStage, reason: string) => Promise<void>): Promise<LeakDetection> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-finding-'));
  try {
    await step('downloading', `downloading ${media.url}`);
    const fetch = createFetcher({ allowPrivate: deps.config.crawler.allowPrivate, resolve: parseResolve(deps.config.crawler.resolve), ...(deps.signal ? { signal: deps.signal } : {}) });
    const file = path.join(dir, media.kind === 'hls' ? 'leak.ts' : 'leak.mp4');
    const bytes = await downloadVideo(fetch, media, file, { maxBytes: MAX_LEAK_BYTES, maxSegments: 2000 });
    await step('detecting', `detecting in ${bytes} bytes`);
    const outcome = await runDetectCommand({ leak: file }, { env: deps.env, cwd: deps.cwd, pool: async () => deps.pool, ...(deps.signal ? { signal: deps.signal } : {}), log: deps.log });
    return {
      found: outcome.found, watermarkId: outcome.watermarkId ?? null, recipient: outcome.recipient ?? null, keyId: outcome.keyId ?? null, ledgerId: outcome.copy?.id ?? null,
      confidence: outcome.confidence, falseAlarmProbability: outcome.falseAlarmProbability, markedFraction: outcome.markedFraction, at: new Date().toISOString(),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Why a detection did not complete. Canceled: someone stopped it. Failed: the leak cannot be
 * analysed (too short, no video, ...). Error: something went wrong on our side or the network;
 * worth retrying.
 */
export function detectionFailure(error: unknown, signal: AbortSignal | undefined): { status: 'Canceled' | 'Failed' | 'Error'; reason: string } {
  const status = signal?.aborted ? 'Canceled' : isVigilError(error) && error.code.startsWith('VIGIL-E03') ? 'Failed' : 'Error';
  const reason = isVigilError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
  return { status, reason };
}

/** What a detection found, in a sentence for the audit log. */
export function detectionReason(d: LeakDetection): string {
  return d.found ? `watermark ID ${d.watermarkId}${d.recipient ? ` (${d.recipient.name})` : ''} found` : 'no watermark found';
}

export async function detectFinding(deps: FindingDetectionDeps, findingId: number): Promise<FindingDetectionResult> {
  const row = await findingById(deps.pool, findingId);
  if (!row) throw new VigilError('FINDING_UNKNOWN', `no finding has id ${findingId}; it cannot be detected`);
  const media = mediaOf(row.evidence);
  if (!media) {
    const reason = 'the finding has no video to download (an image set, or a page phase 2 never fetched)';
    await setStatus(deps, findingId, 'Not Available', reason);
    return { findingId, status: 'Not Available', reason };
  }
  try {
    const detection = await downloadAndDetect(deps, media, (stage, reason) => setStatus(deps, findingId, stage === 'downloading' ? 'Downloading' : 'Detecting', reason));
    await setStatus(deps, findingId, 'Completed', detectionReason(detection), { ...detection });
    return {
      findingId, status: 'Completed', found: detection.found,
      ...(detection.watermarkId === null ? {} : { watermarkId: detection.watermarkId }),
      ...(detection.recipient ? { recipient: detection.recipient.name } : {}),
    };
  } catch (error) {
    const { status, reason } = detectionFailure(error, deps.signal);
    await setStatus(deps, findingId, status, reason);
    deps.log.warn({ findingId, status, reason }, 'detection on a finding did not complete');
    return { findingId, status, reason };
  }
}
