import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs, one JSON event per line on stderr, so stdout stays for command output. Another
 * destination (a stream) lets a test read exactly what would have been written.
 */
export function createLogger(level = 'info', name = 'vigil', destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ name, level, base: { pid: process.pid } }, destination);
}

/** A logger that drops everything; for library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
