import net from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/** What the in-process SMTP server received: the envelope, who logged in, and the raw message. */
export interface ReceivedMail {
  user: string | undefined;
  from: string;
  to: string[];
  raw: string;
}

export interface MailServer {
  port: number;
  url: (user?: string, pass?: string) => string;
  received: ReceivedMail[];
  /** Connections opened, so a test can show a refusal happened before any. */
  connections: () => number;
  close: () => Promise<void>;
}

export interface MailServerOptions {
  user: string;
  pass: string;
  /** An SMTP reply for a recipient (e.g. 550 or 451), or undefined to accept it. */
  rcptReply?: (address: string) => { code: number; message: string } | undefined;
}

function replyError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/** A real SMTP server (smtp-server) on 127.0.0.1, port 0, with password auth, recording every message. */
export async function startMailServer(options: MailServerOptions): Promise<MailServer> {
  const received: ReceivedMail[] = [];
  let connections = 0;
  const server = new SMTPServer({
    // Plain text on loopback: STARTTLS would need a certificate the client trusts, which is not what is tested here.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onConnect(_session, callback) { connections += 1; callback(); },
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.pass) callback(null, { user: auth.username });
      else callback(replyError(535, '5.7.8 Authentication credentials invalid'));
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const reply = options.rcptReply?.(address.address);
      callback(reply ? replyError(reply.code, reply.message) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          user: typeof session.user === 'string' ? session.user : undefined,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('SMTP server has no port');
  const port = address.port;
  return {
    port,
    url: (user = options.user, pass = options.pass) => `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`,
    received,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A TCP server that accepts and hangs up at once, or after a greeting: a mail server that drops the connection. */
export async function startDroppingServer(mode: 'at-once' | 'after-greeting'): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (mode === 'at-once') socket.destroy();
    else socket.write('220 drop.test ESMTP\r\n', () => socket.once('data', () => socket.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/** The message's header block, unfolded, as name → value (the first of each name). */
export function headersOf(raw: string): Map<string, string> {
  const head = raw.split(/\r\n\r\n/)[0] ?? '';
  const map = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).toLowerCase();
      if (!map.has(name)) map.set(name, line.slice(colon + 1).trim());
    }
  }
  return map;
}

function decodeQuotedPrintable(body: string): string {
  const text = body.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) { bytes.push(parseInt(hex, 16)); i += 2; } else bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** A header value with its RFC 2047 encoded words (=?UTF-8?Q?…?= or ?B?) decoded. */
export function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_all, kind: string, text: string) =>
      kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')));
}

/** The decoded body of each text/* part of a multipart message, by content type. */
export function textParts(raw: string): Map<string, string> {
  const type = headersOf(raw).get('content-type') ?? '';
  const boundary = /boundary="?([^";]+)"?/.exec(type)?.[1];
  const parts = new Map<string, string>();
  if (!boundary) return parts;
  for (const chunk of raw.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const [head = '', ...rest] = chunk.replace(/^\r\n/, '').split('\r\n\r\n');
    const body = rest.join('\r\n\r\n').replace(/\r\n$/, '');
    const headers = headersOf(`${head}\r\n\r\n`);
    const partType = (headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const encoding = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
    const decoded = encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : body;
    parts.set(partType, decoded.replace(/\r\n/g, '\n'));
  }
  return parts;
}
