import { isVigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { redactedMessage } from '../../core/redact.js';

/**
 * What a person is told when their request did not go through: their mistake (a VigilError) as
 * what is wrong and what to do; a fault of ours as one line saying so, the details in the log.
 * Never a stack trace.
 */
export function failureText(error: unknown, log: Logger, context: Record<string, unknown>): string {
  if (isVigilError(error)) return `:warning: ${error.message}\n${error.fix}`;
  log.error({ ...context, err: { message: redactedMessage(error) } }, 'slack request failed');
  return ':warning: Vigil could not do that just now (the error is logged). Try again in a minute; if it keeps failing, tell whoever runs Vigil.';
}

/** A message for a response_url (what a job answers with after the ack): ephemeral unless told otherwise. */
export interface ResponseMessage {
  text: string;
  blocks?: unknown[];
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
}

/** POSTs to a response_url (valid 30 minutes, 5 uses); a refusal is an error the job's retry may pass. */
export async function postResponse(url: string, message: ResponseMessage): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, ...message }) });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}
