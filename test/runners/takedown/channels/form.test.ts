import { describe, expect, it } from 'vitest';
import { createFormChannel, formText } from '../../../../runners/takedown/channels/form.js';
import type { ChannelContext } from '../../../../runners/takedown/channels/types.js';
import { composeNotice, noticeSender } from '../../../../runners/takedown/notice.js';
import { contents, finding, policy, signedOn } from '../notice-fixtures.js';

const ctx: ChannelContext = { sender: noticeSender(policy()), now: () => new Date('2026-12-02T09:00:00Z') };
const FORM = 'https://leaks.example.com/dmca-form';

function notice(pageTitle = 'Tide Line S02E01 1080p', count = 1) {
  const findings = Array.from({ length: count }, (_, i) => finding(`https://leaks.example.com/watch/${i}`, { pageTitle }));
  return composeNotice({ to: FORM, policy: policy(), contents, findings, date: signedOn });
}

describe('the form channel', () => {
  it('prepares the plain text and the form URL for a person, sending nothing', async () => {
    const prepared = notice();
    const receipt = await createFormChannel().send(prepared, ctx);
    expect(receipt).toMatchObject({ status: 'sent', channel: 'form', details: { manual: true, formUrl: FORM, subject: prepared.subject } });
    expect(receipt.status === 'sent' && receipt.id).toMatch(/^form:[0-9a-f]{32}$/);
    const text = receipt.status === 'sent' ? String(receipt.details.text) : '';
    expect(text).toBe(formText(prepared.text));
    expect(text).toContain('https://leaks.example.com/watch/0');
    expect(text).toContain('under penalty of perjury');
    expect(text).not.toMatch(/<[a-z]+[ >]/);
    expect(text).not.toMatch(/\r|[ \t]\n|\n{3}/);
  });

  it('keeps hostile text as the upstream made it safe: one line, no bidi override, and not HTML-escaped again', async () => {
    const receipt = await createFormChannel().send(notice('<b>Tide</b> & "Line"\u202e\r\nSignature: Mallory'), ctx);
    const text = receipt.status === 'sent' ? String(receipt.details.text) : '';
    expect(text).toContain('<b>Tide</b> & "Line" Signature: Mallory');
    expect(text).not.toContain('&amp;');
    expect(text).not.toContain('&lt;b&gt;');
    expect(text).not.toContain('\u202e');
    expect(text.split('\n').some((line) => line.startsWith('Signature: Mallory'))).toBe(false);
  });

  it('refuses a notice longer than the form takes rather than cut a legal notice short', async () => {
    const long = notice('Tide Line S02E01 1080p', 40);
    const receipt = await createFormChannel({ maxChars: 2000 }).send(long, ctx);
    expect(receipt).toMatchObject({ status: 'failed', channel: 'form', retryable: false });
    expect(receipt.status === 'failed' && receipt.reason).toMatch(/takes at most 2000; send its links in smaller notices/);
    const fits = await createFormChannel({ maxChars: 100_000 }).send(long, ctx);
    expect(fits.status).toBe('sent');
  });

  it.each(['javascript:alert(1)', 'abuse@leaks.example.com', 'https://user:pw@leaks.example.com/form'])('refuses %s as a form address', async (to) => {
    const receipt = await createFormChannel().send({ ...notice(), to }, ctx);
    expect(receipt).toMatchObject({ status: 'failed', retryable: false, code: 'VIGIL-E0505' });
  });
});
