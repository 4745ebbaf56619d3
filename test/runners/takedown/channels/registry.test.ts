import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../core/config.js';
import { isVigilError } from '../../../../core/errors.js';
import { createLogger } from '../../../../core/log.js';
import { clearSecrets, registerProcessSecrets } from '../../../../core/redact.js';
import { createNoticeChannels, deliverNotice, type DeliveryReceipt } from '../../../../runners/takedown/channels/index.js';
import { composeNotice, noticeSender } from '../../../../runners/takedown/notice.js';
import { startFakeLumen, type FakeLumen } from '../../../support/fake-lumen.js';
import { contents, finding, policy, signedOn } from '../notice-fixtures.js';
import { startMailServer, type MailServer } from './mail-server.js';

const SMTP_USER = 'mailer';
const SMTP_PASS = 'Smtp-Secret-4b7e90';
const LUMEN_TOKEN = 'Lumen-Secret-a81c3f';

let dir: string;
let mail: MailServer;
let lumen: FakeLumen;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-channels-'));
  mail = await startMailServer({ user: SMTP_USER, pass: SMTP_PASS });
  lumen = await startFakeLumen(LUMEN_TOKEN);
});
afterEach(async () => {
  clearSecrets();
  await mail.close();
  await lumen.close();
  await rm(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { VIGIL_HOME: dir, VIGIL_SMTP_URL: mail.url(), VIGIL_LUMEN_URL: lumen.url, VIGIL_LUMEN_TOKEN: LUMEN_TOKEN, ...extra };
}

const tide = finding('https://leaks.example.com/watch/tide-line-2x01');
const notice = composeNotice({ to: 'abuse@leaks.example.com', policy: policy(), contents, findings: [tide], date: signedOn });
const sender = noticeSender(policy());

describe('the channel configuration', () => {
  it('reads the SMTP URL, the Lumen base and token, and puts delisting files under VIGIL_HOME by default', () => {
    const config = loadConfig(env(), '/');
    expect(config.takedown).toEqual({ smtpUrl: mail.url(), lumenUrl: lumen.url, lumenToken: LUMEN_TOKEN, delistingDir: path.join(dir, 'delisting') });
    expect(loadConfig({ VIGIL_HOME: dir, VIGIL_DELISTING_DIR: 'out/delist' }, '/srv').takedown.delistingDir).toBe('/srv/out/delist');
  });

  it.each([
    [{ VIGIL_SMTP_URL: 'http://mail.example.com' }, /VIGIL_SMTP_URL must start with smtp: or smtps:/],
    [{ VIGIL_LUMEN_URL: 'https://lumen.example.org' }, /VIGIL_LUMEN_TOKEN is not set but VIGIL_LUMEN_URL is/],
    [{ VIGIL_LUMEN_TOKEN: 'tok-123456' }, /VIGIL_LUMEN_URL is not set but VIGIL_LUMEN_TOKEN is/],
  ])('refuses %j with a message naming the variable', (given, message) => {
    let caught: unknown;
    try { loadConfig(given, '/'); } catch (error) { caught = error; }
    expect(isVigilError(caught, 'CONFIG_INVALID')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('the channel registry', () => {
  it('routes an e-mail contact to SMTP and a form-only contact to the form; Lumen and delisting run alongside', () => {
    const channels = createNoticeChannels(loadConfig(env(), '/').takedown);
    try {
      expect(channels.route({ email: 'abuse@leaks.example.com', formUrl: 'https://leaks.example.com/dmca' })).toMatchObject({ channel: { name: 'smtp' }, to: 'abuse@leaks.example.com' });
      expect(channels.route({ formUrl: 'https://leaks.example.com/dmca' })).toMatchObject({ channel: { name: 'form' }, to: 'https://leaks.example.com/dmca' });
      expect(channels.alongside.map((channel) => channel.name)).toEqual(['lumen', 'delisting']);
      expect(channels.byName('lumen')?.name).toBe('lumen');
    } finally {
      channels.close();
    }
  });

  it('says what is missing when a contact cannot be reached by a configured channel', () => {
    const channels = createNoticeChannels(loadConfig({ VIGIL_HOME: dir }, '/').takedown, { delisting: false });
    expect(channels.alongside).toEqual([]);
    expect(channels.byName('smtp')).toBeUndefined();
    expect(channels.route({ email: 'abuse@leaks.example.com', formUrl: 'https://leaks.example.com/dmca' }).channel.name).toBe('form');
    expect(() => channels.route({ email: 'abuse@leaks.example.com' })).toThrow(/VIGIL_SMTP_URL is not set/);
    let caught: unknown;
    try { channels.route({}); } catch (error) { caught = error; }
    expect(isVigilError(caught, 'CHANNEL_NOT_CONFIGURED')).toBe(true);
  });

  it('sends the notice, then its copies to Lumen and the delisting file, each with a receipt', async () => {
    const channels = createNoticeChannels(loadConfig(env(), '/').takedown, { delistingRunId: 'r1' });
    try {
      const route = channels.route({ email: 'abuse@leaks.example.com' });
      const receipts = await deliverNotice({ ...notice, to: route.to }, route.channel, channels.alongside, { sender, findings: [tide] });
      expect(receipts.map((r) => [r.channel, r.status])).toEqual([['smtp', 'sent'], ['lumen', 'sent'], ['delisting', 'sent']]);
      expect(mail.received).toHaveLength(1);
      expect(lumen.requests).toHaveLength(1);
      expect(await readFile(path.join(dir, 'delisting', 'delisting-r1.csv'), 'utf8')).toContain('https://leaks.example.com/watch/tide-line-2x01,Tide Line (season 2)');
    } finally {
      channels.close();
    }
  });

  it('files no copy while the notice itself has not gone', async () => {
    const channels = createNoticeChannels(loadConfig(env(), '/').takedown, { delistingRunId: 'r2' });
    try {
      const receipts = await deliverNotice({ ...notice, to: 'abuse@leaks.example.com\r\nBcc: x@y.example' }, channels.route({ email: 'abuse@leaks.example.com' }).channel, channels.alongside, { sender });
      expect(receipts.map((r) => [r.channel, r.status])).toEqual([['smtp', 'failed']]);
      expect(lumen.requests).toHaveLength(0);
    } finally {
      channels.close();
    }
  });
});

describe('secrets', () => {
  it('never writes the SMTP password or the Lumen token to a log line or a receipt, sent or failed', async () => {
    const config = loadConfig(env(), '/');
    registerProcessSecrets(config, env());
    const lines: string[] = [];
    const log = createLogger('debug', 'test', { format: 'json', write: (line) => lines.push(line) });
    const channels = createNoticeChannels(config.takedown, { delistingRunId: 'r3' });
    const receipts: DeliveryReceipt[] = [];
    try {
      const route = channels.route({ email: 'abuse@leaks.example.com' });
      receipts.push(...await deliverNotice(notice, route.channel, channels.alongside, { sender, log, findings: [tide] }));
      // Failures that carry server text: a Lumen 500 echoing its request, and an SMTP login refused.
      lumen.answer = { kind: 'status', status: 500, body: `boom authentication_token=${LUMEN_TOKEN} smtp=${mail.url()} the mail password is ${SMTP_PASS}` };
      receipts.push(await channels.byName('lumen')!.send(notice, { sender, log }));
      const wrong = createNoticeChannels(loadConfig(env({ VIGIL_SMTP_URL: mail.url(SMTP_USER, `${SMTP_PASS}-x`) }), '/').takedown, { delisting: false });
      try {
        receipts.push(await wrong.route({ email: 'abuse@leaks.example.com' }).channel.send(notice, { sender, log }));
      } finally {
        wrong.close();
      }
      for (const receipt of receipts) log.info({ receipt }, 'receipt');
      // What a careless caller might log: caught by the secrets registerProcessSecrets registered.
      log.warn({ config: config.takedown, raw: `${SMTP_PASS} ${LUMEN_TOKEN}` }, 'channel settings');
    } finally {
      channels.close();
    }
    expect(receipts.map((r) => r.status)).toEqual(['sent', 'sent', 'sent', 'failed', 'failed']);
    expect(lines.length).toBeGreaterThanOrEqual(receipts.length);
    const everything = [...lines, ...receipts.map((r) => JSON.stringify(r))].join('\n');
    expect(everything).not.toContain(SMTP_PASS);
    expect(everything).not.toContain(LUMEN_TOKEN);
    expect(everything).toContain('***');
  });
});
