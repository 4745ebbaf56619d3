import type { Logger } from '../../core/log.js';

/** What an error may carry into a log line: never the webhook event (payload and signature) or HTTP headers. */
export interface LoggedError {
  type: string;
  message: string;
  status?: number;
  code?: string;
  /** The id of the delivery it happened in, so a person can find it in GitHub's delivery log. */
  delivery?: string;
  stack?: string;
  errors?: LoggedError[];
  cause?: LoggedError;
}

function field<T>(value: unknown, key: string, type: 'number' | 'string'): T | undefined {
  const v = (value as Record<string, unknown>)[key];
  return typeof v === type ? (v as T) : undefined;
}

/**
 * pino's default error serializer copies every enumerable property, and @octokit/webhooks hangs
 * the whole event on its errors (`error.event`: the raw payload and its X-Hub-Signature-256), as
 * Octokit does request and response headers. This one keeps what a person needs to act.
 */
export function loggedError(error: unknown, depth = 0): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const status = field<number>(error, 'status', 'number');
  const event = (error as { event?: unknown }).event;
  const out: LoggedError = {
    type: error.name,
    message: error.message,
    ...(status !== undefined ? { status } : {}),
    ...(field<string>(error, 'code', 'string') !== undefined ? { code: field<string>(error, 'code', 'string') } : {}),
    ...(event && field<string>(event, 'id', 'string') !== undefined ? { delivery: field<string>(event, 'id', 'string') } : {}),
    // A 4xx is the sender's fault: its stack says nothing, and a JSON.parse stack would quote the body.
    ...(status === undefined || status >= 500 ? { stack: error.stack } : {}),
  };
  if (depth < 4 && error instanceof AggregateError) out.errors = error.errors.map((e: unknown) => loggedError(e, depth + 1));
  if (depth < 4 && error.cause !== undefined) out.cause = loggedError(error.cause, depth + 1);
  return out;
}

/** The logger Probot and the App's handlers write to: errors through loggedError, everything else as is. */
export function webhookLogger(log: Logger): Logger {
  return log.child({ name: 'github' }, { serializers: { err: loggedError } });
}
