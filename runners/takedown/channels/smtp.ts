import { createTransport } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { isVigilError } from '../../../core/errors.js';
import { redact } from '../../../core/redact.js';
import type { Notice } from '../notice.js';
import { mailAddress } from './address.js';
import { noticeKey } from './notice-key.js';
import { failed, type ChannelContext, type DeliveryReceipt, type NoticeChannel } from './types.js';

/**
 * Notices by e-mail over SMTP (nodemailer): From the Policy's notice sender, To the abuse contact,
 * a text and an HTML part, and a Message-ID derived from the notice so that a resend after a crash
 * reads as the same message. A server's 5xx is final (the mailbox does not exist, the message is
 * refused) and its text is kept as the reason; a 4xx, a timeout or a dropped connection may pass.
 */

export interface SmtpChannelOptions {
  /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://… (TLS from the start). */
  url: string;
  /** Milliseconds for each phase; bounded so a tarpitting server cannot hold a worker. */
  timeouts?: { connectMs?: number; greetingMs?: number; socketMs?: number };
}

export const DEFAULT_SMTP_TIMEOUTS = { connectMs: 10_000, greetingMs: 10_000, socketMs: 30_000 } as const;

/** The part of a nodemailer error we read; it carries the server's reply when there was one. */
interface SmtpFailure {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

function asFailure(error: unknown): SmtpFailure {
  return typeof error === 'object' && error !== null ? (error as SmtpFailure) : { message: String(error) };
}

/** A 5xx reply is final; a 4xx, or no reply at all (connection refused, reset, timed out), may pass. */
export function smtpFailureReceipt(error: unknown): DeliveryReceipt {
  const failure = asFailure(error);
  const reply = failure.response?.trim();
  const code = failure.responseCode;
  if (typeof code === 'number' && code >= 500) return failed('smtp', redact(`the mail server refused the notice: ${reply ?? code}`), false);
  if (typeof code === 'number' && code >= 400) return failed('smtp', redact(`the mail server deferred the notice: ${reply ?? code}`), true);
  const what = [failure.code, failure.message].filter(Boolean).join(': ') || 'unknown error';
  return failed('smtp', redact(`the mail server could not be reached or dropped the connection (${what})`), true);
}

/** <key@sender-domain>: unique per notice, the same for the same notice sent again. */
export function noticeMessageId(notice: Notice, senderAddress: string): string {
  const domain = senderAddress.split('@')[1] ?? 'vigil.invalid';
  return `<notice.${noticeKey(notice)}@${domain}>`;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Languages whose notices are mostly non-Latin text: base64 is the shorter encoding. The others are
 * mostly ASCII: quoted-printable. Said up front, so nodemailer does not scan every part of every
 * notice (tens of kilobytes each) character by character to choose.
 */
const BASE64_LANGUAGES: ReadonlySet<string> = new Set(['ko', 'ja', 'ar']);

/**
 * Whether the password may only travel after STARTTLS: over smtp:// to anything but this machine,
 * a server that offers no STARTTLS (or a stripper in between) must not get the login in clear.
 */
export function requiresStartTls(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'smtp:' && parsed.password !== '' && !LOOPBACK.has(parsed.hostname.toLowerCase());
}

/**
 * The transport settings of notice mail: the one SMTP setup Vigil has, also used by the creator
 * reports (runners/report/mail.ts), so TLS rules and timeouts are the same for every mail sent.
 */
export function smtpTransportOptions(options: SmtpChannelOptions): SMTPPool.Options & { pool: true } {
  const timeouts = { ...DEFAULT_SMTP_TIMEOUTS, ...options.timeouts };
  return {
    url: options.url,
    // Connections kept open and reused (up to 8, as many as a worker sends at once by default; 100 mails each): a notice is one MAIL FROM … DATA on a
    // warm session, not a TCP + EHLO + STARTTLS + AUTH handshake per mail.
    pool: true,
    maxConnections: 8,
    maxMessages: 100,
    requireTLS: requiresStartTls(options.url),
    connectionTimeout: timeouts.connectMs,
    greetingTimeout: timeouts.greetingMs,
    socketTimeout: timeouts.socketMs,
    dnsTimeout: timeouts.connectMs,
    logger: false,
    debug: false,
  };
}

export function createSmtpChannel(options: SmtpChannelOptions): NoticeChannel & { close(): void } {
  const transport = createTransport(smtpTransportOptions(options));

  async function send(notice: Notice, ctx: ChannelContext): Promise<DeliveryReceipt> {
    let to: string;
    let from: string;
    try {
      to = mailAddress(notice.to);
      from = mailAddress(ctx.sender.email);
    } catch (error) {
      if (isVigilError(error)) return failed('smtp', error.message, false, error.code);
      throw error;
    }
    const messageId = noticeMessageId(notice, from);
    try {
      const info = await transport.sendMail({
        from: { name: ctx.sender.name, address: from },
        to: { name: '', address: to },
        subject: notice.subject,
        text: notice.text,
        html: notice.html,
        messageId,
        headers: { 'Content-Language': notice.language },
        textEncoding: BASE64_LANGUAGES.has(notice.language) ? 'base64' : 'quoted-printable',
        // The envelope as checked, not whatever a header parser makes of the display names.
        envelope: { from, to: [to] },
        disableFileAccess: true,
        disableUrlAccess: true,
      });
      const at = (ctx.now ?? (() => new Date()))();
      ctx.log?.info({ event: 'notice.sent', channel: 'smtp', messageId, to, findings: notice.findingIds.length }, 'takedown notice e-mailed');
      return { status: 'sent', channel: 'smtp', at, id: messageId, details: { to, from, response: redact(String(info.response ?? '')), accepted: info.accepted.map(String) } };
    } catch (error) {
      const receipt = smtpFailureReceipt(error);
      ctx.log?.warn({ event: 'notice.failed', channel: 'smtp', messageId, to, ...(receipt.status === 'failed' ? { reason: receipt.reason, retryable: receipt.retryable } : {}) }, 'takedown notice not e-mailed');
      return receipt;
    }
  }

  return { name: 'smtp', send, close: () => transport.close() };
}
