import { afterEach, describe, expect, it } from 'vitest';
import { composeNotice, noticeSender, type Notice } from '../../../../runners/takedown/notice.js';
import { createSmtpChannel, noticeMessageId, requiresStartTls } from '../../../../runners/takedown/channels/smtp.js';
import type { ChannelContext } from '../../../../runners/takedown/channels/types.js';
import { contents, finding, policy, signedOn } from '../notice-fixtures.js';
import { decodeWords, headersOf, startDroppingServer, startMailServer, textParts, type MailServer } from './mail-server.js';

const USER = 'notices@harborpictures.example';
const PASS = 'smtp-pass-8f2e1c';

function notice(to = 'abuse@leaks.example.com', urls = ['https://leaks.example.com/watch/tide-line-2x01']): Notice {
  return composeNotice({ to, policy: policy(), contents, findings: urls.map((url) => finding(url)), date: signedOn });
}

const ctx: ChannelContext = { sender: noticeSender(policy()), now: () => new Date('2026-12-02T09:00:00Z') };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function server(rcptReply?: Parameters<typeof startMailServer>[0]['rcptReply']): Promise<MailServer> {
  const started = await startMailServer({ user: USER, pass: PASS, ...(rcptReply ? { rcptReply } : {}) });
  cleanups.push(() => started.close());
  return started;
}

function channel(url: string) {
  const created = createSmtpChannel({ url, timeouts: { connectMs: 2000, greetingMs: 2000, socketMs: 4000 } });
  cleanups.push(() => created.close());
  return created;
}

describe('the SMTP channel', () => {
  it('delivers the notice from the Policy sender to the abuse contact, with both parts and a Message-ID derived from the notice', async () => {
    const mail = await server();
    const sent = notice();
    const receipt = await channel(mail.url()).send(sent, ctx);

    expect(receipt).toMatchObject({ status: 'sent', channel: 'smtp', at: new Date('2026-12-02T09:00:00Z') });
    expect(mail.received).toHaveLength(1);
    const [message] = mail.received;
    expect(message?.user).toBe(USER);
    expect(message?.from).toBe('antipiracy@harborpictures.example');
    expect(message?.to).toEqual(['abuse@leaks.example.com']);
    const headers = headersOf(message?.raw ?? '');
    expect(headers.get('from')).toBe('Dana Reyes <antipiracy@harborpictures.example>');
    expect(headers.get('to')).toBe('abuse@leaks.example.com');
    expect(decodeWords(headers.get('subject') ?? '')).toBe(sent.subject);
    expect(headers.get('message-id')).toBe(noticeMessageId(sent, 'antipiracy@harborpictures.example'));
    expect(receipt.status === 'sent' && receipt.id).toBe(headers.get('message-id'));
    expect(headers.get('content-language')).toBe('en');
    const parts = textParts(message?.raw ?? '');
    expect(parts.get('text/plain')?.trim()).toBe(sent.text.replace(/\r\n/g, '\n').trim());
    expect(parts.get('text/html')?.trim()).toBe(sent.html.replace(/\r\n/g, '\n').trim());
  });

  it('gives a notice sent again the same Message-ID, and another notice another one', async () => {
    const mail = await server();
    const smtp = channel(mail.url());
    const first = notice();
    await smtp.send(first, ctx);
    await smtp.send(first, ctx);
    await smtp.send(notice('abuse@leaks.example.com', ['https://leaks.example.com/watch/tide-line-2x02']), ctx);
    const ids = mail.received.map((m) => headersOf(m.raw).get('message-id'));
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
    expect(ids[0]).toMatch(/^<notice\.[0-9a-f]{32}@harborpictures\.example>$/);
  });

  it('sends a Korean notice whose parts arrive intact', async () => {
    const mail = await server();
    const sent = notice('abuse@tvleak.kr', ['https://tvleak.kr/v/1']);
    expect(sent.language).toBe('ko');
    await channel(mail.url()).send(sent, ctx);
    const parts = textParts(mail.received[0]?.raw ?? '');
    expect(parts.get('text/plain')?.trim()).toBe(sent.text.replace(/\r\n/g, '\n').trim());
    expect(headersOf(mail.received[0]?.raw ?? '').get('content-language')).toBe('ko');
  });

  it('encodes a Korean notice\'s parts in base64 and an English one\'s in quoted-printable', async () => {
    const mail = await server();
    const smtp = channel(mail.url());
    await smtp.send(notice('abuse@tvleak.kr', ['https://tvleak.kr/v/2']), ctx);
    await smtp.send(notice(), ctx);
    const encodings = mail.received.map((m) => [...new Set(m.raw.match(/^Content-Transfer-Encoding: .*$/gim) ?? [])]);
    expect(encodings).toEqual([['Content-Transfer-Encoding: base64'], ['Content-Transfer-Encoding: quoted-printable']]);
  });

  it('reports a 550 as a final failure with the server text', async () => {
    const mail = await server(() => ({ code: 550, message: '5.1.1 <abuse@leaks.example.com>: mailbox unavailable' }));
    const receipt = await channel(mail.url()).send(notice(), ctx);
    expect(receipt).toMatchObject({ status: 'failed', channel: 'smtp', retryable: false });
    expect(receipt.status === 'failed' && receipt.reason).toMatch(/550 5\.1\.1 <abuse@leaks\.example\.com>: mailbox unavailable/);
    expect(mail.received).toHaveLength(0);
  });

  it('reports a 451 as a failure worth retrying', async () => {
    const mail = await server(() => ({ code: 451, message: '4.7.1 greylisted, try again later' }));
    const receipt = await channel(mail.url()).send(notice(), ctx);
    expect(receipt).toMatchObject({ status: 'failed', retryable: true });
    expect(receipt.status === 'failed' && receipt.reason).toMatch(/451 4\.7\.1 greylisted/);
  });

  it('reports a wrong SMTP password as final (535), without the password', async () => {
    const mail = await server();
    const receipt = await channel(mail.url(USER, 'wrong-pass-77')).send(notice(), ctx);
    expect(receipt).toMatchObject({ status: 'failed', retryable: false });
    expect(receipt.status === 'failed' && receipt.reason).toMatch(/535/);
    expect(JSON.stringify(receipt)).not.toContain('wrong-pass-77');
  });

  it.each(['at-once', 'after-greeting'] as const)('reports a connection dropped %s as a failure worth retrying', async (mode) => {
    const dropping = await startDroppingServer(mode);
    cleanups.push(() => dropping.close());
    const receipt = await channel(`smtp://u:p@127.0.0.1:${dropping.port}`).send(notice(), ctx);
    expect(receipt).toMatchObject({ status: 'failed', channel: 'smtp', retryable: true });
  });

  it('reports a server that never answers as retryable, within its timeout', async () => {
    const silent = await import('node:net').then(({ default: net }) => net.createServer(() => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const address = silent.address();
    cleanups.push(() => new Promise<void>((resolve) => { silent.close(() => resolve()); }));
    const port = typeof address === 'object' && address ? address.port : 0;
    const smtp = createSmtpChannel({ url: `smtp://127.0.0.1:${port}`, timeouts: { connectMs: 300, greetingMs: 300, socketMs: 300 } });
    cleanups.push(() => smtp.close());
    const started = Date.now();
    const receipt = await smtp.send(notice(), ctx);
    expect(receipt).toMatchObject({ status: 'failed', retryable: true });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it.each([
    ['a CR/LF that would add a header', 'abuse@leaks.example.com\r\nBcc: victim@else.example'],
    ['a bare LF', 'abuse@leaks.example.com\nx'],
    ['two @', 'abuse@@leaks.example.com'],
    ['no domain', 'abuse@'],
    ['a single-label domain', 'abuse@localhost'],
    ['an unreachable TLD', 'abuse@host.invalid'],
    ['an IP literal', 'abuse@[127.0.0.1]'],
  ])('refuses an address with %s before any connection', async (_what, to) => {
    const mail = await server();
    const hostile = { ...notice(), to };
    const receipt = await channel(mail.url()).send(hostile, ctx);
    expect(receipt).toMatchObject({ status: 'failed', retryable: false, code: 'VIGIL-E0505' });
    expect(mail.connections()).toBe(0);
  });

  it('sends a password over smtp:// to another machine only after STARTTLS', () => {
    expect(requiresStartTls('smtp://u:p@mail.example.com:587')).toBe(true);
    expect(requiresStartTls('smtp://mail.example.com:25')).toBe(false);
    expect(requiresStartTls('smtps://u:p@mail.example.com:465')).toBe(false);
    expect(requiresStartTls('smtp://u:p@127.0.0.1:2525')).toBe(false);
  });
});
