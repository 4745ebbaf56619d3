import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured logs, one JSON event per line on stderr, so stdout stays for command output. */
export function createLogger(level = 'info', name = 'vigil'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}

/** A logger that drops everything; for library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
