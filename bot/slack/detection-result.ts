import type { Job } from 'bullmq';
import { detectionRequestById, type DetectionRequest } from '../../core/db/detection-requests.js';
import { VigilError } from '../../core/errors.js';
import type { SlackDeps } from './deps.js';
import { escapeMrkdwn } from './mrkdwn.js';

/**
 * The 'detection-result' job: a detection someone asked for on a link (/vigil detect URL) has
 * finished; its result is posted where it was asked, naming the person.
 */

/** The requirement a copy failed, as the detector records it (runners/watermark/requirements.ts). */
const REQUIREMENT_WORDS: Record<string, string> = {
  'too short': 'it is too short', 'too small': 'its picture is too small', 'no video': 'it has no video', undecodable: 'it cannot be decoded',
};

/**
 * The message for a finished request, by the seed service's statuses: Completed names the recipient,
 * watermark ID and confidence; Failed says no mark was found and how close it came; Error says which
 * detection requirement the copy does not meet, or why detection could not run; Canceled who stopped it.
 */
export function detectionResultText(r: DetectionRequest): string {
  const who = `<@${r.requestedBy.replace(/[^A-Z0-9]/gi, '')}>`;
  const head = `${who} detection request #${r.id} on ${escapeMrkdwn(r.url)}`;
  const result = r.result ?? {};
  const reason = escapeMrkdwn(r.reason || 'no reason recorded');
  const confidence = typeof result.confidence === 'number' ? ` (confidence ${(result.confidence * 100).toFixed(1)} %)` : '';
  switch (r.status) {
    case 'Completed': {
      // The detector keeps the recipient as its lookup found it ({ name, … }); null for an ID nobody was allocated.
      const name = typeof result.recipient === 'object' && result.recipient !== null ? (result.recipient as { name?: unknown }).name : result.recipient;
      const recipient = typeof name === 'string' ? `*${escapeMrkdwn(name)}*` : 'an unallocated ID';
      const id = typeof result.watermarkId === 'number' ? ` (watermark ID ${result.watermarkId})` : '';
      return `${head}: Completed — the copy was made for ${recipient}${id}${confidence}.`;
    }
    case 'Failed': return `${head}: Failed — no watermark found${confidence}. ${reason}.`;
    case 'Error': {
      const requirement = typeof result.requirement === 'string' ? REQUIREMENT_WORDS[result.requirement] : undefined;
      return requirement
        ? `${head}: Error — the copy does not meet the detection requirements: ${requirement}. ${reason}.`
        : `${head}: Error — detection could not run: ${reason}.`;
    }
    case 'Canceled': return `${head}: Canceled — ${reason}.`;
    default: return `${head}: ${r.status}.`;
  }
}

export async function processDetectionResult(job: Job, deps: SlackDeps): Promise<unknown> {
  const requestId = (job.data as { requestId?: unknown } | null)?.requestId;
  if (!Number.isSafeInteger(requestId)) throw new VigilError('JOB_PAYLOAD_INVALID', `a detection-result job needs { requestId }, got ${JSON.stringify(job.data)}`);
  const request = await detectionRequestById(deps.pool, requestId as number);
  if (!request) throw new VigilError('JOB_PAYLOAD_INVALID', `no detection request has id ${String(requestId)}`);
  const text = detectionResultText(request);
  if (!request.channel) {
    await deps.client.chat.postMessage({ channel: request.requestedBy, text });
    return { posted: request.requestedBy };
  }
  await deps.client.chat.postMessage({ channel: request.channel, text, ...(request.threadTs ? { thread_ts: request.threadTs } : {}) });
  return { posted: request.channel };
}
