import { ENV, type TakedownChannelsConfig } from '../../../core/config.js';
import { VigilError } from '../../../core/errors.js';
import type { Notice } from '../notice.js';
import { createDelistingChannel } from './delisting.js';
import { createFormChannel, type FormChannelOptions } from './form.js';
import { createLumenChannel } from './lumen.js';
import { createSmtpChannel, type SmtpChannelOptions } from './smtp.js';
import type { ChannelContext, ChannelName, DeliveryReceipt, NoticeChannel } from './types.js';

export type { ChannelContext, ChannelName, ChannelSender, DeliveryReceipt, FailedReceipt, NoticeChannel, SentReceipt } from './types.js';
export { CHANNEL_NAMES } from './types.js';

/**
 * The registry: which channel carries a notice to a contact (its e-mail over SMTP, else its web
 * form for a person), and which batch channels (Lumen, the search-delisting file) take a copy of
 * every notice alongside. Built once per run from the configuration; nothing else chooses.
 */

/** How a recipient is reached, as the catalog's Site.takedown or the RDAP lookup gives it. */
export interface NoticeContact {
  email?: string;
  formUrl?: string;
}

export interface ContactRoute {
  channel: NoticeChannel;
  /** What the notice is addressed to (Notice.to): the e-mail address, or the form's URL. */
  to: string;
}

export interface NoticeChannels {
  /** The channel for a contact; CHANNEL_NOT_CONFIGURED when it has no way in that is configured. */
  route(contact: NoticeContact): ContactRoute;
  /** A channel by name (a resend goes the way the first try went); undefined when not configured. */
  byName(name: ChannelName): NoticeChannel | undefined;
  /** Lumen (when VIGIL_LUMEN_URL and VIGIL_LUMEN_TOKEN are set) and the delisting file. */
  alongside: readonly NoticeChannel[];
  close(): void;
}

export interface NoticeChannelOptions {
  smtpTimeouts?: SmtpChannelOptions['timeouts'];
  form?: FormChannelOptions;
  /** Names this run's delisting file; by default the time of its first notice. */
  delistingRunId?: string;
  /** Off for runs that must leave no file (a dry run, a resend of one notice). */
  delisting?: boolean;
}

export function createNoticeChannels(config: TakedownChannelsConfig, options: NoticeChannelOptions = {}): NoticeChannels {
  const smtp = config.smtpUrl === undefined ? undefined : createSmtpChannel({ url: config.smtpUrl, ...(options.smtpTimeouts ? { timeouts: options.smtpTimeouts } : {}) });
  const form = createFormChannel(options.form);
  const lumen = config.lumenUrl !== undefined && config.lumenToken !== undefined ? createLumenChannel({ url: config.lumenUrl, token: config.lumenToken }) : undefined;
  const delisting = options.delisting === false ? undefined : createDelistingChannel({ dir: config.delistingDir, ...(options.delistingRunId ? { runId: options.delistingRunId } : {}) });
  const named: Partial<Record<ChannelName, NoticeChannel>> = { form, ...(smtp ? { smtp } : {}), ...(lumen ? { lumen } : {}), ...(delisting ? { delisting } : {}) };

  function route(contact: NoticeContact): ContactRoute {
    const email = contact.email?.trim();
    const formUrl = contact.formUrl?.trim();
    if (email && smtp) return { channel: smtp, to: email };
    if (formUrl) return { channel: form, to: formUrl };
    if (email) {
      throw new VigilError('CHANNEL_NOT_CONFIGURED', `the notice to ${email} would go by e-mail, but ${ENV.VIGIL_SMTP_URL} is not set`);
    }
    throw new VigilError('CHANNEL_NOT_CONFIGURED', 'the contact has neither an e-mail address nor a web form, so no channel can carry its notice');
  }

  return {
    route,
    byName: (name) => named[name],
    alongside: [lumen, delisting].filter((channel): channel is NoticeChannel => channel !== undefined),
    close: () => smtp?.close(),
  };
}

/**
 * One notice through its contact's channel, then, once that went, each batch channel: every
 * receipt, in that order. The copies wait for the notice itself, so a notice that is retried is
 * not filed with Lumen or listed for delisting once per try.
 */
export async function deliverNotice(notice: Notice, primary: NoticeChannel, alongside: readonly NoticeChannel[], ctx: ChannelContext): Promise<DeliveryReceipt[]> {
  const first = await primary.send(notice, ctx);
  const receipts = [first];
  if (first.status !== 'sent') return receipts;
  for (const channel of alongside) receipts.push(await channel.send(notice, ctx));
  return receipts;
}
