import { createTransport } from 'nodemailer';
import { VigilError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { mailAddress } from '../takedown/channels/address.js';
import { smtpTransportOptions } from '../takedown/channels/smtp.js';
import type { Chart } from './charts.js';

/**
 * Sends a creator report through the notice channels' SMTP (VIGIL_SMTP_URL, the same transport
 * settings as takedown notices): From the Policy's notice sender, an HTML part whose charts are
 * inline PNG images (cid:), a text part, and the PDF attached. The Message-ID is derived from the
 * creator and period, so a report sent again reads as the same message.
 */

export interface ReportMail {
  smtpUrl: string;
  from: { name: string; email: string };
  to: string;
  subject: string;
  html: string;
  text: string;
  charts: readonly Chart[];
  pdf: { filename: string; content: Buffer };
  messageKey: string;
}

/** The Content-ID a chart's image has in the e-mail; the HTML names it as cid:… */
export function chartCid(chart: Chart): string {
  return `${chart.name}.png@vigil.report`;
}

export async function sendReportMail(mail: ReportMail): Promise<{ messageId: string; response: string }> {
  const from = mailAddress(mail.from.email);
  const to = mailAddress(mail.to);
  const messageId = `<report.${mail.messageKey.replace(/[^A-Za-z0-9._-]/g, '_')}@${from.split('@')[1] ?? 'vigil.invalid'}>`;
  // A pooled transport closed after its one mail: the same settings as notices, no connection kept.
  const transport = createTransport(smtpTransportOptions({ url: mail.smtpUrl }));
  try {
    const info = await transport.sendMail({
      from: { name: mail.from.name, address: from }, to: { name: '', address: to }, subject: mail.subject,
      text: mail.text, html: mail.html, messageId, envelope: { from, to: [to] },
      attachments: [
        ...mail.charts.map((c) => ({ filename: `${c.name}.png`, content: c.png, contentType: 'image/png', cid: chartCid(c), contentDisposition: 'inline' as const })),
        { filename: mail.pdf.filename, content: mail.pdf.content, contentType: 'application/pdf' },
      ],
      disableFileAccess: true, disableUrlAccess: true,
    });
    return { messageId, response: redact(String(info.response ?? '')) };
  } catch (error) {
    const failure = error as { response?: string; message?: string };
    throw new VigilError('REPORT_MAIL_FAILED', redact(`the mail server did not take the report for ${to}: ${failure.response ?? failure.message ?? String(error)}`), { cause: error });
  } finally {
    transport.close();
  }
}
