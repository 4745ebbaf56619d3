import type { Logger } from '../../../core/log.js';
import type { NoticeFinding } from '../notice.js';
import type { Notice } from '../notice.js';

/**
 * Every way a notice leaves Vigil sits behind this one interface, the way Renovate keeps its
 * datasources: a channel takes a composed notice and answers with a receipt, never throws for a
 * delivery that did not happen, and says whether trying again can help. What is recorded, retried
 * or shown to a person is decided by the caller from the receipt alone.
 */

export const CHANNEL_NAMES = ['smtp', 'form', 'lumen', 'delisting'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

/** JSON, so a receipt can be stored as it is (evidence packs list every receipt). */
export type ReceiptValue = string | number | boolean | null | ReceiptValue[] | { [key: string]: ReceiptValue };

export interface SentReceipt {
  status: 'sent';
  channel: ChannelName;
  at: Date;
  /** What the other side knows it by: the e-mail's Message-ID, the Lumen notice id, the batch file's path, the form notice's key. */
  id: string;
  details: { [key: string]: ReceiptValue };
}

export interface FailedReceipt {
  status: 'failed';
  channel: ChannelName;
  /** What went wrong, for a person, with every secret masked. */
  reason: string;
  /** True when the same notice may get through later (a 4xx reply, a dropped connection, a 5xx from an API); false for a wrong input. */
  retryable: boolean;
  /** The VigilError code, when the refusal is one (a bad address, a channel not configured). */
  code?: string;
}

export type DeliveryReceipt = SentReceipt | FailedReceipt;

/** Who signs: the Policy's noticeSender, as composeNotice flattened it. */
export interface ChannelSender {
  name: string;
  email: string;
  organization?: string;
}

export interface ChannelContext {
  sender: ChannelSender;
  /** The clock, passed in so receipts and batch files are reproducible in tests. */
  now?: () => Date;
  log?: Logger;
  /**
   * The findings behind the notice (the notice keeps only their ids): the batch channels use them to
   * tell which work each URL infringes when a notice names several.
   */
  findings?: readonly Pick<NoticeFinding, 'id' | 'url' | 'contentId'>[];
}

export interface NoticeChannel {
  readonly name: ChannelName;
  send(notice: Notice, ctx: ChannelContext): Promise<DeliveryReceipt>;
}

export function failed(channel: ChannelName, reason: string, retryable: boolean, code?: string): FailedReceipt {
  return { status: 'failed', channel, reason, retryable, ...(code === undefined ? {} : { code }) };
}
