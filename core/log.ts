import { pino, type DestinationStream, type Logger } from 'pino';
import { redact } from './redact.js';
import { prettyLine } from './log-pretty.js';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The ids a log line carries so a person can follow one finding from crawl to takedown, named the
 * same in every part (grep or a log query on one of them finds the whole path):
 * a monitoring round (`roundId`, with its `monitoringJobId` and `contentId`) records findings
 * (`findingId`); a takedown compose pass names each notice (`noticeId`) with its `findingIds`; the
 * notice's delivery and each re-check carry `noticeId` or `findingId` again. BullMQ work carries
 * `queue` and `jobId` (the queue job's id), so a job's lines are found from its failure.
 */
export interface TraceIds {
  roundId?: string;
  monitoringJobId?: string;
  contentId?: string;
  findingId?: number;
  findingIds?: readonly number[];
  noticeId?: number;
  queue?: string;
  /** The BullMQ job's id (not a MonitoringJob's: that is monitoringJobId). */
  jobId?: string;
}

/** A child logger whose every line carries these ids; the one way ids are added, so their names stay one set. */
export function traced(log: Logger, ids: TraceIds): Logger {
  return log.child(ids);
}

/** Where log lines go and how they look. */
export interface LogOutput {
  format: LogFormat;
  /** Takes each finished line (ending in a newline). */
  write(line: string): void;
  /** Colour the level names (pretty only), for a terminal. */
  color?: boolean;
}

/** JSON lines on stderr, so stdout stays for command output. */
const stderrJson: LogOutput = { format: 'json', write: (line) => process.stderr.write(line) };

/**
 * Structured logs, one event per line: JSON for collectors, or one readable line per event for a
 * person. The one place a logger is built, so whatever must touch every line happens here.
 */
export function createLogger(level = 'info', name = 'vigil', output: LogOutput = stderrJson): Logger {
  // Redaction runs on the finished JSON line, before any pretty layout, so nothing escapes it.
  const destination: DestinationStream = {
    write: output.format === 'pretty' ? (line) => output.write(prettyLine(redact(line), output.color)) : (line) => output.write(redact(line)),
  };
  return pino({ name, level, base: { pid: process.pid } }, destination);
}

/** A logger that drops everything; for library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
