import type { Job } from 'bullmq';
import { detectionRequestById, type DetectionRequest } from '../../core/db/detection-requests.js';
import { VigilError } from '../../core/errors.js';
import type { SlackDeps } from './deps.js';
import { escapeMrkdwn } from './mrkdwn.js';

/**
 * The 'detection-result' job: a detection someone asked for on a link (/vigil detect URL) has
 * finished; its result is posted where it was asked, naming the person.
 */

/** The message for a finished request: the recipient and confidence, no watermark, or why it failed. */
export function detectionResultText(r: DetectionRequest): string {
  const who = `<@${r.requestedBy.replace(/[^A-Z0-9]/gi, '')}>`;
  const link = escapeMrkdwn(r.url);
  const result = r.result ?? {};
  if (r.status === 'failed') return `${who} detection request #${r.id} on ${link} failed: ${escapeMrkdwn(r.reason || 'no reason recorded')}.`;
  const confidence = typeof result.confidence === 'number' ? ` (confidence ${(result.confidence * 100).toFixed(1)} %)` : '';
  if (result.found !== true) return `${who} detection request #${r.id} on ${link}: no watermark found${confidence}.`;
  // The detector keeps the recipient as its lookup found it ({ name, … }); null for an ID nobody was allocated.
  const name = typeof result.recipient === 'object' && result.recipient !== null ? (result.recipient as { name?: unknown }).name : result.recipient;
  const recipient = typeof name === 'string' ? `*${escapeMrkdwn(name)}*` : 'an unallocated ID';
  const id = typeof result.watermarkId === 'number' ? ` (watermark ID ${result.watermarkId})` : '';
  return `${who} detection request #${r.id} on ${link}: the copy was made for ${recipient}${id}${confidence}.`;
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
