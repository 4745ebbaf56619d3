import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { readBody } from './read-body.js';

/**
 * A local stand-in for Slack, on 127.0.0.1: the Web API methods the bot calls (recorded, with
 * Slack's answers and errors), per-method and per-channel rate limits that answer 429 with
 * Retry-After as Slack does, response_url endpoints, and a Socket Mode WebSocket that speaks the
 * envelope protocol (hello, envelopes with envelope_id, acks). Tests read what was called; nothing
 * of Vigil's is mocked.
 */

export const BOT_TOKEN = 'xoxb-fake-1234567890-abcdefghijkl';
export const APP_TOKEN = 'xapp-1-FAKE-1234567890-abcdef';
export const BOT_USER_ID = 'UVIGILBOT';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** The HTTP status the fake answered with (429 for a rate-limited call). */
  status: number;
  /** The Slack error answered, if any (ok: false). */
  error?: string;
  at: number;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  user: string;
  edited?: { ts: string };
  /** Files shared with the message (files.completeUploadExternal). */
  files?: { id: string; title?: string }[];
}

/**
 * One file of Slack's external upload flow: files.getUploadURLExternal gives it an id and an upload
 * URL, the bytes are POSTed there, files.completeUploadExternal shares it (in a channel, a thread).
 */
export interface SlackUpload {
  fileId: string;
  filename: string;
  /** The length announced to files.getUploadURLExternal. */
  length: number;
  /** The bytes POSTed to the upload URL, once they were. */
  bytes?: Buffer;
  /** Where files.completeUploadExternal shared it. */
  shared?: { channel: string; thread_ts?: string; initial_comment?: string; title?: string };
}

export interface Ephemeral {
  channel: string;
  user: string;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
}

export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
  /** Milliseconds from sending the envelope to the ack. */
  ms: number;
}

export interface FakeSlackOptions {
  botToken?: string;
  appToken?: string;
  /** Members of user groups, for usergroups.users.list. */
  usergroups?: Record<string, string[]>;
  /** Channels that do not exist (chat.postMessage answers channel_not_found). */
  missingChannels?: string[];
}

interface Limit {
  perSecond: number;
  perChannel: boolean;
}

interface Failure {
  status: number;
  error: string;
  retryAfter?: number;
}

export interface FakeSlack {
  /** The Web API base to give the bot (SLACK_API_URL), ending in /api/. */
  apiUrl: string;
  calls: SlackCall[];
  /** Calls to one method that Slack accepted (ok: true). */
  accepted(method: string): SlackCall[];
  /** Every message in a channel (by id or #name), in the order posted, with their current text and blocks. */
  messages(channel?: string): SlackMessage[];
  message(channel: string, ts: string): SlackMessage | undefined;
  ephemerals: Ephemeral[];
  views: { method: string; trigger_id?: string; view: Record<string, unknown> }[];
  /** POSTs the bot made to response_url endpoints. */
  responses: ResponseUrlPost[];
  /** Files of the external upload flow, in the order their upload URLs were asked for. */
  uploads: SlackUpload[];
  /** The next `count` POSTs to an upload URL answer this HTTP status (and keep no bytes). */
  failUploads(count: number, status?: number): void;
  /** A response_url for one interaction; POSTs to it are kept in `responses`. */
  responseUrl(): string;
  /** The next `count` POSTs to any response_url fail with this HTTP status (and are not kept). */
  failResponses(count: number, status?: number): void;
  /** Channel id the fake gave a #name. */
  channelId(name: string): string;
  usergroups: Record<string, string[]>;
  /** Slack's per-method limit: at most `perSecond` calls in any second (per channel when `perChannel`). */
  limit(method: string, perSecond: number, options?: { perChannel?: boolean }): void;
  /** The next `count` calls to `method` fail with this answer (e.g. 429 with Retry-After, or 500). */
  failNext(method: string, failure: { status?: number; error?: string; retryAfter?: number }, count?: number): void;
  /** Resolves when `count` calls to `method` have been accepted, or rejects after `timeoutMs`. */
  waitFor(method: string, count?: number, timeoutMs?: number): Promise<SlackCall[]>;
  socket: {
    /** Resolves once a Socket Mode client is connected and has been sent hello. */
    connected(timeoutMs?: number): Promise<void>;
    /** Sends one envelope and resolves with the client's ack. */
    send(type: 'interactive' | 'slash_commands' | 'events_api', payload: Record<string, unknown>, options?: { retryAttempt?: number; timeoutMs?: number }): Promise<SocketAck>;
    /** How many connections apps.connections.open handed out. */
    opened: number;
  };
  close(): Promise<void>;
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType?.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    // The Web API client sends arrays and objects (blocks, metadata, view) JSON-encoded inside the form.
    args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botToken = options.botToken ?? BOT_TOKEN;
  const appToken = options.appToken ?? APP_TOKEN;
  const usergroups: Record<string, string[]> = { ...(options.usergroups ?? {}) };
  const missing = new Set(options.missingChannels ?? []);
  const calls: SlackCall[] = [];
  const stored: SlackMessage[] = [];
  const ephemerals: Ephemeral[] = [];
  const views: FakeSlack['views'] = [];
  const responses: ResponseUrlPost[] = [];
  const channelIds = new Map<string, string>();
  const limits = new Map<string, Limit>();
  const windows = new Map<string, number[]>();
  const failures = new Map<string, Failure[]>();
  const waiters: (() => void)[] = [];
  let tsCounter = 0;
  let sockets: WebSocket[] = [];
  const socketWaiters: (() => void)[] = [];
  const pendingAcks = new Map<string, { resolve: (ack: SocketAck) => void; sentAt: number }>();
  let opened = 0;
  const responseFailures: number[] = [];
  const uploads: SlackUpload[] = [];
  const uploadFailures: number[] = [];

  const channelId = (name: string): string => {
    if (/^[CGD][A-Z0-9]{6,}$/.test(name)) return name;
    const key = name.replace(/^#/, '');
    let id = channelIds.get(key);
    if (!id) {
      id = `C${String(channelIds.size + 1).padStart(8, '0')}`;
      channelIds.set(key, id);
    }
    return id;
  };
  const nextTs = (): string => {
    tsCounter += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
  };
  const notify = (): void => { for (const w of waiters.splice(0)) w(); };

  /** The 429 Slack would answer now, if this call is over its limit; otherwise the call counts. */
  const overLimit = (method: string, args: Record<string, unknown>): number | undefined => {
    const limit = limits.get(method);
    if (!limit) return undefined;
    const key = limit.perChannel ? `${method}:${channelId(String(args.channel ?? ''))}` : method;
    const now = Date.now();
    // Below one call a second, the window is as long as one call's share.
    const windowMs = limit.perSecond >= 1 ? 1000 : 1000 / limit.perSecond;
    const allowed = Math.max(1, Math.floor(limit.perSecond >= 1 ? limit.perSecond : 1));
    const recent = (windows.get(key) ?? []).filter((t) => now - t < windowMs);
    windows.set(key, recent);
    if (recent.length >= allowed) return Math.max(1, Math.ceil((recent[0]! + windowMs - now) / 1000));
    recent.push(now);
    return undefined;
  };

  const methods: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({ ok: true, url: 'https://vigil-test.slack.com/', team: 'Vigil Test', team_id: 'T0VIGIL', user: 'vigil', user_id: BOT_USER_ID, bot_id: 'B0VIGIL' }),
    'chat.postMessage': (args) => {
      const name = String(args.channel ?? '');
      if (name === '' || missing.has(name)) return { ok: false, error: 'channel_not_found' };
      if (args.text === undefined && args.blocks === undefined) return { ok: false, error: 'no_text' };
      const channel = channelId(name);
      const message: SlackMessage = {
        channel, ts: nextTs(), user: BOT_USER_ID,
        ...(typeof args.thread_ts === 'string' ? { thread_ts: args.thread_ts } : {}),
        ...(typeof args.text === 'string' ? { text: args.text } : {}),
        ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
        ...(typeof args.metadata === 'object' && args.metadata !== null ? { metadata: args.metadata as SlackMessage['metadata'] } : {}),
      };
      if (message.thread_ts && !stored.some((m) => m.channel === channel && m.ts === message.thread_ts)) return { ok: false, error: 'thread_not_found' };
      stored.push(message);
      return { ok: true, channel, ts: message.ts, message };
    },
    'chat.update': (args) => {
      const channel = channelId(String(args.channel ?? ''));
      const message = stored.find((m) => m.channel === channel && m.ts === args.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      if (typeof args.text === 'string') message.text = args.text;
      if (Array.isArray(args.blocks)) message.blocks = args.blocks;
      message.edited = { ts: nextTs() };
      return { ok: true, channel, ts: message.ts, text: message.text ?? '' };
    },
    'chat.postEphemeral': (args) => {
      if (typeof args.user !== 'string') return { ok: false, error: 'user_not_in_channel' };
      ephemerals.push({
        channel: channelId(String(args.channel ?? '')), user: args.user,
        ...(typeof args.text === 'string' ? { text: args.text } : {}),
        ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
        ...(typeof args.thread_ts === 'string' ? { thread_ts: args.thread_ts } : {}),
      });
      return { ok: true, message_ts: nextTs() };
    },
    'chat.getPermalink': (args) => ({ ok: true, channel: args.channel, permalink: `https://vigil-test.slack.com/archives/${String(args.channel)}/p${String(args.message_ts).replace('.', '')}` }),
    'conversations.replies': (args) => {
      const channel = channelId(String(args.channel ?? ''));
      const parent = stored.find((m) => m.channel === channel && m.ts === args.ts);
      if (!parent) return { ok: false, error: 'thread_not_found' };
      const thread = stored.filter((m) => m.channel === channel && (m.ts === args.ts || m.thread_ts === args.ts));
      return { ok: true, messages: thread.map((m) => withMetadata(m, args)), has_more: false };
    },
    'conversations.history': (args) => {
      const channel = channelId(String(args.channel ?? ''));
      const oldest = Number(args.oldest ?? 0);
      const top = stored.filter((m) => m.channel === channel && !m.thread_ts && Number(m.ts) >= oldest).reverse();
      const limit = Number(args.limit ?? 100);
      return { ok: true, messages: top.slice(0, limit).map((m) => withMetadata(m, args)), has_more: top.length > limit };
    },
    'usergroups.users.list': (args) => {
      const members = usergroups[String(args.usergroup ?? '')];
      return members ? { ok: true, users: members } : { ok: false, error: 'no_such_subteam' };
    },
    'views.open': (args) => openView('views.open', args),
    'views.update': (args) => openView('views.update', args),
    'views.push': (args) => openView('views.push', args),
    'files.getUploadURLExternal': (args) => {
      const length = Number(args.length);
      if (typeof args.filename !== 'string' || args.filename === '') return { ok: false, error: 'invalid_arguments' };
      if (!Number.isSafeInteger(length) || length <= 0) return { ok: false, error: 'invalid_length' };
      const fileId = `F${String(uploads.length + 1).padStart(9, '0')}`;
      uploads.push({ fileId, filename: args.filename, length });
      return { ok: true, upload_url: `${base}/upload/${fileId}`, file_id: fileId };
    },
    'files.completeUploadExternal': (args) => {
      const files = Array.isArray(args.files) ? (args.files as { id?: unknown; title?: unknown }[]) : [];
      if (files.length === 0) return { ok: false, error: 'invalid_arguments' };
      const found = files.map((f) => uploads.find((u) => u.fileId === f.id));
      // Slack completes only files whose bytes arrived, and whose length is what was announced.
      if (found.some((u) => !u || !u.bytes || u.bytes.length !== u.length)) return { ok: false, error: 'file_not_found' };
      const name = typeof args.channel_id === 'string' ? args.channel_id : '';
      if (name !== '' && missing.has(name)) return { ok: false, error: 'channel_not_found' };
      const channel = name === '' ? '' : channelId(name);
      const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
      if (threadTs && !stored.some((m) => m.channel === channel && m.ts === threadTs)) return { ok: false, error: 'invalid_thread_ts' };
      const comment = typeof args.initial_comment === 'string' ? args.initial_comment : undefined;
      found.forEach((u, i) => {
        const title = typeof files[i]!.title === 'string' ? (files[i]!.title as string) : undefined;
        u!.shared = { channel, ...(threadTs ? { thread_ts: threadTs } : {}), ...(comment ? { initial_comment: comment } : {}), ...(title ? { title } : {}) };
      });
      if (channel !== '') {
        stored.push({
          channel, ts: nextTs(), user: BOT_USER_ID, ...(threadTs ? { thread_ts: threadTs } : {}), ...(comment ? { text: comment } : {}),
          files: found.map((u) => ({ id: u!.fileId, ...(u!.shared?.title ? { title: u!.shared.title } : {}) })),
        });
      }
      return { ok: true, files: found.map((u) => ({ id: u!.fileId, name: u!.filename })) };
    },
    'apps.connections.open': () => {
      opened += 1;
      return { ok: true, url: `${wsBase}/link/?ticket=${randomBytes(8).toString('hex')}&app_id=A0VIGIL` };
    },
  };

  function withMetadata(m: SlackMessage, args: Record<string, unknown>): SlackMessage {
    const include = args.include_all_metadata === true || args.include_all_metadata === 'true';
    if (include || !m.metadata) return m;
    const { metadata: _dropped, ...rest } = m;
    return rest;
  }

  function openView(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const view = (args.view ?? {}) as Record<string, unknown>;
    if (method === 'views.open' && typeof args.trigger_id !== 'string') return { ok: false, error: 'invalid_trigger_id' };
    views.push({ method, ...(typeof args.trigger_id === 'string' ? { trigger_id: args.trigger_id } : {}), view });
    return { ok: true, view: { id: `V${String(views.length).padStart(8, '0')}`, ...view } };
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname.startsWith('/upload/')) {
        // An upload URL takes the file's bytes (raw, as Vigil sends them); it needs no token.
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const upload = uploads.find((u) => u.fileId === url.pathname.slice('/upload/'.length));
        const failure = uploadFailures.shift();
        if (failure !== undefined) { res.writeHead(failure, { 'content-type': 'text/plain' }).end('upload failed'); return; }
        if (!upload || req.method !== 'POST') { res.writeHead(404, { 'content-type': 'text/plain' }).end('no such upload'); return; }
        upload.bytes = Buffer.concat(chunks);
        notify();
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${upload.bytes.length}`);
        return;
      }
      const raw = await readBody(req);
      if (url.pathname.startsWith('/response/')) {
        const failure = responseFailures.shift();
        if (failure !== undefined) return send(res, failure, { ok: false, error: 'internal_error' });
        responses.push({ id: url.pathname.slice('/response/'.length), body: parseBody(raw, 'application/json') });
        notify();
        return send(res, 200, { ok: true });
      }
      const method = url.pathname.replace(/^\/api\//, '');
      const args = { ...Object.fromEntries(url.searchParams), ...parseBody(raw, req.headers['content-type']) };
      const auth = req.headers.authorization?.replace(/^Bearer\s+/, '') ?? (typeof args.token === 'string' ? args.token : undefined);
      const record = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
        calls.push({ method, args, status, ...(body.ok === false ? { error: String(body.error) } : {}), at: Date.now() });
        notify();
        send(res, status, body, headers);
      };
      const expected = method === 'apps.connections.open' ? appToken : botToken;
      if (auth !== expected) return record(200, { ok: false, error: 'invalid_auth' });
      const failure = failures.get(method)?.shift();
      if (failure) {
        return record(failure.status, { ok: false, error: failure.error }, failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) });
      }
      const retryAfter = overLimit(method, args);
      if (retryAfter !== undefined) return record(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
      const handler = methods[method];
      if (!handler) return record(200, { ok: false, error: 'unknown_method' });
      return record(200, handler(args));
    })().catch((error: unknown) => send(res, 500, { ok: false, error: String(error) }));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on('message', (data: Buffer) => {
        const message = safeJson(data.toString('utf8')) as { envelope_id?: string; payload?: unknown } | undefined;
        const pending = message?.envelope_id ? pendingAcks.get(message.envelope_id) : undefined;
        if (!pending || !message?.envelope_id) return;
        pendingAcks.delete(message.envelope_id);
        pending.resolve({ envelope_id: message.envelope_id, ...(message.payload === undefined ? {} : { payload: message.payload }), ms: Date.now() - pending.sentAt });
      });
      ws.on('close', () => { sockets = sockets.filter((s) => s !== ws); });
      ws.send(JSON.stringify({ type: 'hello', num_connections: sockets.length, debug_info: { host: 'fake-slack', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0VIGIL' } }));
      for (const w of socketWaiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const wsBase = `ws://127.0.0.1:${port}`;

  const fake: FakeSlack = {
    apiUrl: `${base}/api/`,
    calls,
    accepted: (method) => calls.filter((c) => c.method === method && c.status === 200 && c.error === undefined),
    messages: (channel) => (channel === undefined ? [...stored] : stored.filter((m) => m.channel === channelId(channel))),
    message: (channel, ts) => stored.find((m) => m.channel === channelId(channel) && m.ts === ts),
    ephemerals,
    views,
    responses,
    uploads,
    failUploads(count, status = 500) {
      for (let i = 0; i < count; i += 1) uploadFailures.push(status);
    },
    responseUrl: () => `${base}/response/${randomBytes(6).toString('hex')}`,
    failResponses(count, status = 500) {
      for (let i = 0; i < count; i += 1) responseFailures.push(status);
    },
    channelId,
    usergroups,
    limit(method, perSecond, limitOptions = {}) {
      limits.set(method, { perSecond, perChannel: limitOptions.perChannel ?? true });
    },
    failNext(method, failure, count = 1) {
      const list = failures.get(method) ?? [];
      for (let i = 0; i < count; i += 1) {
        list.push({ status: failure.status ?? 429, error: failure.error ?? ((failure.status ?? 429) === 429 ? 'ratelimited' : 'internal_error'), ...(failure.retryAfter === undefined ? {} : { retryAfter: failure.retryAfter }) });
      }
      failures.set(method, list);
    },
    async waitFor(method, count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const done = fake.accepted(method);
        if (done.length >= count) return done;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`fake Slack: ${done.length} of ${count} ${method} call(s) after ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 250));
          waiters.push(() => { clearTimeout(timer); resolve(); });
        });
      }
    },
    socket: {
      async connected(timeoutMs = 10_000) {
        if (sockets.length > 0) return;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`fake Slack: no Socket Mode connection after ${timeoutMs} ms`)), timeoutMs);
          socketWaiters.push(() => { clearTimeout(timer); resolve(); });
        });
      },
      send(type, payload, sendOptions = {}) {
        const ws = sockets[sockets.length - 1];
        if (!ws) return Promise.reject(new Error('fake Slack: no Socket Mode client is connected'));
        const envelopeId = randomBytes(8).toString('hex');
        return new Promise<SocketAck>((resolve, reject) => {
          const timer = setTimeout(() => {
            pendingAcks.delete(envelopeId);
            reject(new Error(`fake Slack: no ack for envelope ${envelopeId} (${type}) after ${sendOptions.timeoutMs ?? 5000} ms`));
          }, sendOptions.timeoutMs ?? 5000);
          pendingAcks.set(envelopeId, { resolve: (ack) => { clearTimeout(timer); resolve(ack); }, sentAt: Date.now() });
          ws.send(JSON.stringify({
            envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api',
            retry_attempt: sendOptions.retryAttempt ?? 0, retry_reason: sendOptions.retryAttempt ? 'timeout' : '',
          }));
        });
      },
      get opened() { return opened; },
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
