import { VigilError } from '../../../core/errors.js';
import type { Notice } from '../notice.js';
import { noticeKey } from './notice-key.js';
import { failed, type ChannelContext, type DeliveryReceipt, type NoticeChannel } from './types.js';

/**
 * Some sites take notices only through a web form. This channel sends nothing: it prepares the
 * notice's text for a person to paste into the Site's takedown.formUrl and hands it back (the
 * Slack card shows it). "sent" here means "prepared for a person" (details.manual is true); the
 * finding stays with that person until they say it went.
 *
 * The text part is already safe (every value from a pirate site was flattened to one line and
 * stripped of controls upstream, in hostile-text.ts); it is plain text, so nothing is escaped
 * again here: an "&" in a page title stays "&", as the form's reader should see it.
 */

export interface FormChannelOptions {
  /** Characters a form's text field takes; a longer notice is refused so that nothing is cut off a legal notice. */
  maxChars?: number;
}

/** Common abuse forms take 5,000 to 65,535 characters in their message field; notices batch to fit. */
export const DEFAULT_FORM_MAX_CHARS = 20_000;

/** Line breaks as \n, no trailing white space, no run of blank lines: what pastes cleanly into a textarea. */
export function formText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function formUrlOf(to: string): string {
  const url = URL.canParse(to) ? new URL(to) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
    throw new VigilError('NOTICE_ADDRESS_INVALID', `${JSON.stringify(to.slice(0, 120))} is not a web form's address (an http or https URL without user or password)`);
  }
  return url.href;
}

export function createFormChannel(options: FormChannelOptions = {}): NoticeChannel {
  const maxChars = options.maxChars ?? DEFAULT_FORM_MAX_CHARS;

  async function send(notice: Notice, ctx: ChannelContext): Promise<DeliveryReceipt> {
    let formUrl: string;
    try {
      formUrl = formUrlOf(notice.to);
    } catch (error) {
      if (error instanceof VigilError) return failed('form', error.message, false, error.code);
      throw error;
    }
    const text = formText(notice.text);
    const chars = Array.from(text).length;
    if (chars > maxChars) {
      return failed('form', `the notice is ${chars} characters and the form takes at most ${maxChars}; send its links in smaller notices (a lower cap per message)`, false);
    }
    const at = (ctx.now ?? (() => new Date()))();
    const id = `form:${noticeKey(notice)}`;
    ctx.log?.info({ event: 'notice.prepared', channel: 'form', id, formUrl, chars }, 'takedown notice prepared for a web form');
    return { status: 'sent', channel: 'form', at, id, details: { manual: true, formUrl, subject: notice.subject, text, chars } };
  }

  return { name: 'form', send };
}
