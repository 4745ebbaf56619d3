import http from 'node:http';
import { readBody } from './read-body.js';

/**
 * A local Lumen-shaped API: POST /notices with { authentication_token, notice } answers 201 with a
 * Location header naming the new notice (as Lumen does) and a JSON body with its id. It records every
 * request and can be told to answer otherwise, so tests see what the channel does with 401 or 5xx.
 */

export interface LumenRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: unknown;
}

export type LumenAnswer =
  | { kind: 'created'; body?: 'json' | 'empty' }
  | { kind: 'status'; status: number; body: string };

export interface FakeLumen {
  url: string;
  requests: LumenRequest[];
  /** How the next requests are answered; the token is checked first unless a status is forced. */
  answer: LumenAnswer;
  close: () => Promise<void>;
}

export async function startFakeLumen(token: string): Promise<FakeLumen> {
  const requests: LumenRequest[] = [];
  let nextId = 1000;
  const state: { answer: LumenAnswer } = { answer: { kind: 'created', body: 'json' } };
  const server = http.createServer((req, res) => {
    void readBody(req).then((text) => {
      let body: unknown = text;
      try { body = JSON.parse(text); } catch { /* recorded as text */ }
      requests.push({ method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'], body });
      const answer = state.answer;
      if (answer.kind === 'status') {
        res.writeHead(answer.status, { 'Content-Type': 'text/plain' }).end(answer.body);
        return;
      }
      if (req.method !== 'POST' || req.url !== '/notices') { res.writeHead(404).end('not found'); return; }
      const given = typeof body === 'object' && body !== null ? (body as { authentication_token?: unknown }).authentication_token : undefined;
      if (given !== token) {
        // Echoes what it was given, as careless servers do: the channel must not pass it on.
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: `invalid authentication_token ${String(given)}` }));
        return;
      }
      const id = nextId++;
      const location = `http://${req.headers.host ?? '127.0.0.1'}/notices/${id}`;
      if (answer.body === 'empty') res.writeHead(201, { Location: location }).end();
      else res.writeHead(201, { Location: location, 'Content-Type': 'application/json' }).end(JSON.stringify({ id, title: 'accepted' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake Lumen has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    get answer() { return state.answer; },
    set answer(value: LumenAnswer) { state.answer = value; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
