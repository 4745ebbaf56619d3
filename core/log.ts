import { pino, type DestinationStream, type Logger } from 'pino';
import { redact } from './redact.js';

export type { Logger };

/**
 * Structured logs, one JSON event per line on stderr, so stdout stays for command output. Every
 * line passes through redact() as written, so a secret in a message, a nested field or a
 * serialised error (message, stack, cause) never reaches the stream.
 */
export function createLogger(level = 'info', name = 'vigil', destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ name, level, base: { pid: process.pid }, hooks: { streamWrite: redact } }, destination);
}

/** A logger that drops everything; for library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
