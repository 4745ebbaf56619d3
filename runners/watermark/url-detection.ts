import { detectionRequestById, setDetectionRequestStatus } from '../../core/db/detection-requests.js';
import { VigilError } from '../../core/errors.js';
import type { VideoMedia } from '../monitor/acquire.js';
import { detectionFailure, detectionReason, downloadAndDetect, type FindingDetectionDeps } from './finding-detection.js';

/**
 * Watermark detection on a link a person gave (/vigil detect URL): the detect-queue job 'url'
 * downloads it as a finding's copy is downloaded, and records each step on the request. Its end
 * (completed or failed) is written with the slack job that posts it where it was asked.
 */

export interface UrlDetectionResult {
  requestId: number;
  status: 'completed' | 'failed' | 'retry' | 'already-done';
  found?: boolean;
  reason?: string;
}

/** A playlist is read segment by segment; anything else is taken as one video file. */
export function mediaOfLink(url: string): VideoMedia {
  return { url, kind: /\.m3u8?(?:[?#]|$)/i.test(new URL(url).pathname) ? 'hls' : 'video' };
}

const ACTOR = 'detector';

/**
 * Runs one request. `lastAttempt` says whether a fault that can pass (the network, our side) ends
 * the request as failed, or is left for the job's next attempt (status 'retry': the caller throws).
 */
export async function detectLink(deps: FindingDetectionDeps, requestId: number, lastAttempt: boolean): Promise<UrlDetectionResult> {
  const request = await detectionRequestById(deps.pool, requestId);
  if (!request) throw new VigilError('JOB_PAYLOAD_INVALID', `no detection request has id ${requestId}`);
  if (request.status === 'completed' || request.status === 'failed') return { requestId, status: 'already-done' };
  try {
    const detection = await downloadAndDetect(deps, mediaOfLink(request.url), async (stage, reason) => {
      await setDetectionRequestStatus(deps.pool, requestId, stage, { actor: ACTOR, reason });
    });
    await setDetectionRequestStatus(deps.pool, requestId, 'completed', { actor: ACTOR, reason: detectionReason(detection) }, { ...detection });
    return { requestId, status: 'completed', found: detection.found };
  } catch (error) {
    const { status, reason } = detectionFailure(error, deps.signal);
    if (status === 'Error' && !lastAttempt) {
      deps.log.warn({ requestId, reason }, 'detection on a link did not complete; it is tried again');
      return { requestId, status: 'retry', reason };
    }
    await setDetectionRequestStatus(deps.pool, requestId, 'failed', { actor: ACTOR, reason });
    return { requestId, status: 'failed', reason };
  }
}
