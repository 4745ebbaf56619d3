/**
 * pino's JSON events as one human line each, for a person at a terminal:
 * `14:03:07.412 INFO  embedded PostgreSQL started port=40123 dataDir=/srv/vigil/pg`.
 * Written here rather than taken from pino-pretty: it is a few lines, runs in the logging call (so
 * a progress bar can be cleared and redrawn around each line), and needs no worker thread.
 */

const LEVELS: Record<number, { label: string; color: number }> = {
  10: { label: 'TRACE', color: 90 },
  20: { label: 'DEBUG', color: 36 },
  30: { label: 'INFO', color: 32 },
  40: { label: 'WARN', color: 33 },
  50: { label: 'ERROR', color: 31 },
  60: { label: 'FATAL', color: 35 },
};

// Fields every event carries, shown in their own places or not worth a terminal's width.
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

function clockTime(epochMs: number): string {
  const t = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}.${String(t.getMilliseconds()).padStart(3, '0')}`;
}

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  // pino's error serializer: the message says it; the stack is in the JSON logs (VIGIL_LOG_FORMAT=json).
  if (value && typeof value === 'object' && 'message' in value && 'stack' in value) return fieldValue((value as { message: unknown }).message);
  return JSON.stringify(value) ?? String(value);
}

/** One JSON log line as `time LEVEL message key=value ...\n`; a line that is not JSON passes through. */
export function prettyLine(json: string, color = false): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = LEVELS[Number(event.level)] ?? { label: String(event.level).toUpperCase(), color: 0 };
  const label = color ? `\x1b[${level.color}m${level.label.padEnd(5)}\x1b[39m` : level.label.padEnd(5);
  const fields = Object.entries(event).filter(([key, value]) => !HIDDEN.has(key) && value !== undefined).map(([key, value]) => `${key}=${fieldValue(value)}`);
  const time = typeof event.time === 'number' ? clockTime(event.time) : '';
  // One event, one line: a message that spans lines (ffmpeg output) is folded.
  const message = String(event.msg ?? '').replace(/\s*\n\s*/g, ' | ');
  return `${[time, label, message, ...fields].filter(Boolean).join(' ')}\n`;
}
