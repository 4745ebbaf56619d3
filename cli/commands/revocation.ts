import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENV } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { REVOCATION_API_BASE, revocationApiHandler } from '../../edge/revocation-api.js';
import { parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { openRevoker } from '../revoker.js';

export const usage = `vigil revocation serve [--port N] [--host ADDR]
  Serve the revocation API, in the shape of Akamai's Access Revocation API (${REVOCATION_API_BASE}/revocation-lists,
  …/{id}/identifiers/add with [{"id", "durationSeconds"}], …/remove, …/identifiers, …/meta; errors as
  application/problem+json; edge/README.md). Every call needs Authorization: Bearer ${ENV.VIGIL_REVOCATION_API_KEY}
  (the API does not start without it). Revocations are written to Redis, where every vigil edge sees
  them at once, and pushed to Akamai when AKAMAI_* (or ${ENV.VIGIL_AKAMAI_EDGERC}) is set (a push Akamai
  missed is tried again here every 10 s, with backoff per push, until taken); the sessions named are put
  on record in the database (audited once). vigil edge mounts the same API when the key is set. Listens on --port
  (default ${ENV.VIGIL_REVOCATION_PORT} or 3004) and --host (default ${ENV.VIGIL_BIND} or 127.0.0.1) until Ctrl-C or SIGTERM.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { port: { type: 'string' }, host: { type: 'string' } } as const;

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('revocation', argv, options, 1);
  if (positionals[0] !== 'serve') throw new VigilError('USAGE', `vigil revocation: the only subcommand is serve, not ${JSON.stringify(positionals[0] ?? '')}`);
  let port = ctx.config.revocation.port;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new VigilError('USAGE', `vigil revocation serve: --port must be a port number (0-65535), not ${JSON.stringify(values.port)}`);
  }
  const apiKey = ctx.config.revocation.apiKey;
  if (apiKey === undefined || apiKey.length < 16) {
    throw new VigilError('REVOCATION_API_KEY_MISSING', `vigil revocation serve: ${ENV.VIGIL_REVOCATION_API_KEY} is ${apiKey === undefined ? 'not set' : 'shorter than 16 characters'}`);
  }
  const open = await openRevoker(ctx);
  const handler = revocationApiHandler({ store: open.store, revoker: open.revoker, apiKey, log: ctx.log });
  const server = http.createServer((req, res) => {
    if (handler(req, res)) return;
    res.writeHead(404, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'not_found', title: 'Not Found', status: 404, detail: `no such resource: ${req.url ?? ''}; the revocation API lives under ${REVOCATION_API_BASE}/revocation-lists` }));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, values.host ?? ctx.config.bind, resolve);
    });
  } catch (error) {
    open.close();
    throw new VigilError('USAGE', `vigil revocation serve: cannot listen on ${values.host ?? ctx.config.bind}:${port}: ${(error as Error).message}`);
  }
  const address = server.address() as AddressInfo;
  const mirrors = open.revoker.mirrors;
  const relay = mirrors.length > 0 ? open.startRelay() : undefined;
  print(io.stdout, `vigil revocation serve: revocation API at http://${address.address}:${address.port}${REVOCATION_API_BASE}/revocation-lists${mirrors.length > 0 ? ` (pushing to ${mirrors.join(', ')})` : ''}`);
  await aborted(io.signal);
  await new Promise((r) => server.close(r));
  await relay?.stop();
  open.close();
  print(io.stdout, 'vigil revocation serve: stopped');
  return 0;
}
