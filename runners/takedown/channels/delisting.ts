import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { redactedMessage } from '../../../core/redact.js';
import type { Notice } from '../notice.js';
import { noticeKey } from './notice-key.js';
import { failed, type ChannelContext, type DeliveryReceipt, type NoticeChannel } from './types.js';
import { workLabel, worksOfUrls } from './url-works.js';

/**
 * A search-delisting batch file: the links to drop from search results, for a search engine's
 * trusted-submitter program (Google's Trusted Copyright Removal Program, Bing's) to take as a bulk
 * upload. One CSV per run, RFC 4180 (UTF-8, CRLF, a header row, fields quoted when they hold a
 * comma, a quote or a line break), one row per infringing URL and work:
 *
 *   url,copyrighted_work,work_id,notice_id
 *   https://leaks.example/watch/1,"Tide Line (season 2)",tide-line-s2,3f9c…
 *
 * `copyrighted_work` is the work's description as a program's form asks for it, `work_id` the
 * Content's catalog id, `notice_id` the key of the notice the link was sent in (the same key as
 * the e-mail's Message-ID), so a program's question about a row leads back to the notice.
 *
 * The file is rewritten whole at each notice, to a temporary name and renamed into place, so a
 * reader (or an upload) never sees half a file and an error leaves the last complete one.
 */

export const DELISTING_HEADER = ['url', 'copyrighted_work', 'work_id', 'notice_id'] as const;

export interface DelistingChannelOptions {
  /** VIGIL_DELISTING_DIR. */
  dir: string;
  /** Names the run's file (delisting-RUN.csv); by default the time of the run's first notice. */
  runId?: string;
}

/** A spreadsheet would run a cell starting with = + - @ as a formula; a leading ' keeps it text. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvRow(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}

/** The rows one notice adds (pure). */
export function delistingRows(notice: Notice, findings: ChannelContext['findings']): string[] {
  const byUrl = worksOfUrls(notice, findings);
  const key = noticeKey(notice);
  return notice.urls.flatMap((url) => (byUrl.get(url) ?? []).map((work) => csvRow([url, workLabel(work), work.contentId, key])));
}

function runStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** Errors a later try cannot mend: the directory is not ours to write. */
const FINAL_FS_ERRORS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR']);

async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o640);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export function createDelistingChannel(options: DelistingChannelOptions): NoticeChannel & { readonly file: string | undefined } {
  let file: string | undefined;
  let rows: string[] = [csvRow(DELISTING_HEADER)];
  let resumed = false;
  // One notice at a time: each write holds every row so far, so two at once would lose one's rows.
  let queue: Promise<unknown> = Promise.resolve();

  async function write(notice: Notice, ctx: ChannelContext): Promise<DeliveryReceipt> {
    const at = (ctx.now ?? (() => new Date()))();
    const target = file ?? path.join(options.dir, `delisting-${options.runId ?? runStamp(at)}.csv`);
    if (!resumed) {
      // A run resumed under the same id (a worker restarted) keeps the rows its file already has.
      const existing = await readFile(target, 'utf8').catch(() => undefined);
      if (existing !== undefined && existing.startsWith(rows[0] ?? '')) rows = existing.split(/(?<=\r\n)/);
      resumed = true;
    }
    const added = delistingRows(notice, ctx.findings);
    const next = [...rows, ...added];
    try {
      await writeAtomically(target, next.join(''));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      return failed('delisting', `the delisting file ${target} could not be written: ${redactedMessage(error)}`, !FINAL_FS_ERRORS.has(code));
    }
    const first = rows.length + 1;
    rows = next;
    file = target;
    ctx.log?.info({ event: 'notice.sent', channel: 'delisting', file: target, rows: added.length }, 'links added to the delisting batch');
    return { status: 'sent', channel: 'delisting', at, id: target, details: { file: target, lines: added.map((_, i) => first + i) } };
  }

  return {
    name: 'delisting',
    get file() { return file; },
    send(notice, ctx) {
      const result = queue.then(() => write(notice, ctx));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
