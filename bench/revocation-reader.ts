/**
 * The other process of `npm run bench:revocation`: an edge's view of the revocations
 * (edge/revocation-view.ts) on a connection of its own. Told an id to watch, it checks
 * isRevoked(id) on every turn of the event loop, as an edge does on every request, and reports the
 * moment it first answers true (epoch ms with sub-ms precision, performance.timeOrigin + now()).
 */
import { openRevocationView } from '../edge/revocation-view.js';

const url = new URL(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = process.env.BENCH_PREFIX ?? '';
const view = openRevocationView({ host: url.hostname, port: Number(url.port || 6379) }, prefix);
const send = (message: unknown) => process.send?.(message);
const clock = () => performance.timeOrigin + performance.now();

let watching: string | undefined;
const check = () => {
  if (watching === undefined) return;
  if (view.isRevoked(watching)) {
    send({ seen: watching, at: clock() });
    watching = undefined;
    return;
  }
  setImmediate(check);
};

process.on('message', (message: { watch?: string; resyncTiming?: boolean; exit?: boolean }) => {
  if (message.watch !== undefined) {
    watching = message.watch;
    send({ watching: message.watch });
    setImmediate(check);
  }
  if (message.exit) void view.close().then(() => process.exit(0));
});

const started = clock();
await view.ready;
send({ ready: true, readMs: clock() - started, identifiers: view.size() });
