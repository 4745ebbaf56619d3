import { detectionRequestById, isFinalRequestStatus, setDetectionRequestStatus, type DetectionRequestStatus } from '../../core/db/detection-requests.js';
import { VigilError } from '../../core/errors.js';
import { detectionReason, detectionStop, downloadAndDetect, statusOfResult, type FindingDetectionDeps, type LeakDetection } from './finding-detection.js';
import type { Requirement } from './requirements.js';

/**
 * Watermark detection on a link a person gave (/vigil detect URL, `vigil detect URL`, the API):
 * the detect-queue job 'url' downloads it as a finding's copy is downloaded (leak-download.ts) and
 * records each step on the request with the same status values as a finding: Downloading →
 * Detecting → Completed / Failed / Error / Canceled. Its end is written with the slack job that
 * posts it where it was asked.
 */

export interface UrlDetectionResult {
  requestId: number;
  /** The status recorded; 'retry' when the job should be tried again; 'already-done' for a request already final. */
  status: DetectionRequestStatus | 'retry' | 'already-done';
  found?: boolean;
  detection?: LeakDetection;
  requirement?: Requirement;
  reason?: string;
  /** What stopped it (a VigilError with its code and fix, as a rule), for a caller that shows it. */
  error?: unknown;
}

const ACTOR = 'detector';

/**
 * Runs one request. `lastAttempt` says whether a fault that can pass (the network, our side) ends
 * the request as Error, or is left for the job's next attempt (status 'retry': the caller throws).
 */
export async function detectLink(deps: FindingDetectionDeps, requestId: number, lastAttempt: boolean): Promise<UrlDetectionResult> {
  const request = await detectionRequestById(deps.pool, requestId);
  if (!request) throw new VigilError('JOB_PAYLOAD_INVALID', `no detection request has id ${requestId}`);
  if (isFinalRequestStatus(request.status)) return { requestId, status: 'already-done' };
  try {
    const detection = await downloadAndDetect(deps, request.url, async (stage, reason) => {
      await setDetectionRequestStatus(deps.pool, requestId, stage === 'downloading' ? 'Downloading' : 'Detecting', { actor: ACTOR, reason });
    });
    const status = statusOfResult(detection);
    await setDetectionRequestStatus(deps.pool, requestId, status, { actor: ACTOR, reason: detectionReason(detection) }, { ...detection });
    return { requestId, status, found: detection.found, detection };
  } catch (error) {
    const stop = detectionStop(error, deps.signal, lastAttempt);
    if (stop.status === 'retry') {
      deps.log.warn({ requestId, reason: stop.reason }, 'detection on a link did not complete; it is tried again');
      return { requestId, status: 'retry', reason: stop.reason, error };
    }
    const requirement = stop.status === 'Error' ? stop.requirement : undefined;
    await setDetectionRequestStatus(deps.pool, requestId, stop.status, { actor: ACTOR, reason: stop.reason }, { found: false, ...(requirement ? { requirement } : {}), reason: stop.reason });
    return { requestId, status: stop.status, ...(requirement ? { requirement } : {}), reason: stop.reason, error };
  }
}
