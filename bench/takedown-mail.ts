/**
 * The SMTP server process of `npm run bench:takedown`: the real in-process server of the tests
 * (test/runners/takedown/channels/mail-server.ts) in a process of its own, as a mail server is in
 * production. It says its URL once listening; asked `{ report: true }`, it says how many mails it
 * received and how many findings' URLs they carried (each URL once, text and HTML parts both list it).
 */
import { startMailServer } from '../test/runners/takedown/channels/mail-server.js';

const mail = await startMailServer({ user: 'vigil', pass: 'bench' });

process.on('message', (message: { report?: boolean; exit?: boolean }) => {
  if (message.report) {
    // Quoted-printable soft breaks undone before the URLs are read.
    const urls = new Set(mail.received.flatMap((m) => m.raw.replace(/=\r?\n/g, '').match(/moonlit-harbor-\d+/g) ?? []));
    process.send?.({ mails: mail.received.length, urls: urls.size });
  }
  if (message.exit) void mail.close().then(() => process.exit(0));
});
process.send?.({ url: mail.url() });
