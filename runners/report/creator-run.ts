import fs from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { appliedPolicy } from '../../core/db/policy.js';
import { recordReportDelivery } from '../../core/db/report-deliveries.js';
import { VigilError } from '../../core/errors.js';
import { workCharts, type Chart } from './charts.js';
import { creatorReport, type CreatorReport } from './creator.js';
import { findCreator, loadWorks, type Creator } from './creator-data.js';
import { creatorReportHtml, creatorReportText, reportTitle } from './creator-html.js';
import { chartCid, sendReportMail } from './mail.js';
import { htmlToPdf } from './pdf.js';
import type { Period } from './period.js';

/**
 * A creator report end to end: read (creator-data), count (creator), draw (charts), lay out
 * (creator-html), print (pdf), and write it to a folder and/or e-mail it (mail). The CLI and the
 * quarterly job both come through here.
 */

export interface MadeReport {
  creator: Creator;
  report: CreatorReport;
  charts: Chart[];
  /** The HTML for the e-mail: charts as cid: images. */
  mailHtml: string;
  /** The HTML as written to disk and printed: charts as inline SVG data. */
  pageHtml: string;
  pdf: Buffer;
  /** File-name stem: creator-slug-period. */
  stem: string;
}

export function slug(name: string): string {
  return name.normalize('NFKD').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').toLowerCase() || 'creator';
}

function dataUrl(chart: Chart): string {
  return `data:image/svg+xml;base64,${Buffer.from(chart.svg).toString('base64')}`;
}

export async function makeCreatorReport(pool: pg.Pool, name: string | Creator, period: Period, options: { chromium?: string } = {}): Promise<MadeReport> {
  const creator = typeof name === 'string' ? await findCreator(pool, name) : name;
  const works = await loadWorks(pool, creator.contentIds, period);
  const report = creatorReport(creator, period, works);
  const byWork = new Map<string, Chart[]>();
  for (const w of report.works) byWork.set(w.contentId, await workCharts(w));
  const charts = [...byWork.values()].flat();
  const pageHtml = creatorReportHtml(report, byWork, dataUrl);
  const mailHtml = creatorReportHtml(report, byWork, (c) => `cid:${chartCid(c)}`);
  const pdf = await htmlToPdf(pageHtml, { title: reportTitle(report), ...(options.chromium ? { executablePath: options.chromium } : {}) });
  return { creator, report, charts, mailHtml, pageHtml, pdf, stem: `${slug(creator.name)}-${period.label}` };
}

/** Writes the PDF, the HTML, the JSON figures and every chart as SVG and PNG into `dir` (made if missing); returns the paths. */
export async function writeCreatorReport(made: MadeReport, dir: string): Promise<string[]> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new VigilError('REPORT_OUT_INVALID', `--out ${dir} cannot be made as a folder: ${(error as Error).message}`, { cause: error });
  }
  const files: [string, string | Buffer][] = [
    [`${made.stem}.pdf`, made.pdf],
    [`${made.stem}.html`, made.pageHtml],
    [`${made.stem}.json`, `${JSON.stringify(made.report, null, 2)}\n`],
    ...made.charts.flatMap((c): [string, string | Buffer][] => [[`${made.stem}-${c.name}.svg`, c.svg], [`${made.stem}-${c.name}.png`, c.png]]),
  ];
  const written: string[] = [];
  for (const [name, content] of files) {
    const file = path.join(dir, name);
    try {
      // Through a temp name and a rename: a reader never sees half a PDF.
      await fs.writeFile(`${file}.tmp`, content);
      await fs.rename(`${file}.tmp`, file);
    } catch (error) {
      throw new VigilError('REPORT_OUT_INVALID', `cannot write ${file}: ${(error as Error).message}`, { cause: error });
    }
    written.push(file);
  }
  return written;
}

/** E-mails the report to the creator through the notice channels' SMTP, From the Policy's notice sender; recorded and audited. */
export async function sendCreatorReport(pool: pg.Pool, made: MadeReport, options: { smtpUrl: string | undefined; trigger: 'schedule' | 'cli'; actor: string }): Promise<{ to: string; messageId: string; recorded: boolean }> {
  const sender = (await appliedPolicy(pool)).noticeSender;
  const missing = [
    options.smtpUrl ? undefined : 'VIGIL_SMTP_URL is not set',
    sender ? undefined : "the Policy has no noticeSender",
    made.creator.email ? undefined : `no Content of ${JSON.stringify(made.creator.name)} has creator.email`,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) throw new VigilError('REPORT_NOT_SENDABLE', `the report for ${made.creator.name} cannot be e-mailed: ${missing.join('; ')}`);
  const to = made.creator.email!;
  const sent = await sendReportMail({
    smtpUrl: options.smtpUrl!, from: { name: sender!.organization ? `${sender!.name}, ${sender!.organization}` : sender!.name, email: sender!.email }, to,
    subject: reportTitle(made.report), html: made.mailHtml, text: creatorReportText(made.report), charts: made.charts,
    pdf: { filename: `${made.stem}.pdf`, content: made.pdf }, messageKey: made.stem,
  });
  const recorded = await recordReportDelivery(pool, {
    kind: 'creator', subject: made.creator.name.toLowerCase(), period: made.report.period.label, channel: 'smtp', target: to, messageId: sent.messageId, trigger: options.trigger,
  }, options.actor);
  return { to, messageId: sent.messageId, recorded };
}
