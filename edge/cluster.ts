/**
 * `vigil edge --workers N`: N processes (node:cluster) share the listening socket, so the edge uses
 * every core. /metrics answered by any worker is the sum over all of them: the worker asks the
 * primary, which collects every worker's snapshot over IPC and sends back the total.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { addSnapshots, type EdgeMetrics, type MetricsSnapshot } from './metrics.js';

type Message =
  | { vigil: 'metrics-request'; id: string }
  | { vigil: 'metrics-collect'; id: string }
  | { vigil: 'metrics-part'; id: string; snapshot: MetricsSnapshot }
  | { vigil: 'metrics-total'; id: string; snapshot: MetricsSnapshot };

const isMessage = (m: unknown): m is Message => typeof m === 'object' && m !== null && typeof (m as { vigil?: unknown }).vigil === 'string';

/** In the primary: relays metrics requests between workers. */
export function relayMetrics(): void {
  const waiting = new Map<string, { from: Worker; parts: MetricsSnapshot[]; expected: number }>();
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message)) return;
    if (message.vigil === 'metrics-request') {
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected());
      waiting.set(message.id, { from: worker, parts: [], expected: workers.length });
      for (const w of workers) w.send({ vigil: 'metrics-collect', id: message.id } satisfies Message);
      setTimeout(() => finish(message.id), 1000).unref();
    } else if (message.vigil === 'metrics-part') {
      const w = waiting.get(message.id);
      if (!w) return;
      w.parts.push(message.snapshot);
      if (w.parts.length >= w.expected) finish(message.id);
    }
  });
  const finish = (id: string): void => {
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    if (w.from.isConnected()) w.from.send({ vigil: 'metrics-total', id, snapshot: addSnapshots(w.parts) } satisfies Message);
  };
}

/** In a worker: answers the primary's collection and returns the function /metrics uses. */
export function workerMetrics(metrics: () => EdgeMetrics): () => Promise<MetricsSnapshot> {
  const pending = new Map<string, (s: MetricsSnapshot) => void>();
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    if (message.vigil === 'metrics-collect') process.send?.({ vigil: 'metrics-part', id: message.id, snapshot: metrics().snapshot() } satisfies Message);
    else if (message.vigil === 'metrics-total') { pending.get(message.id)?.(message.snapshot); pending.delete(message.id); }
  });
  return () => new Promise((resolve) => {
    const id = randomUUID();
    pending.set(id, resolve);
    process.send?.({ vigil: 'metrics-request', id } satisfies Message);
    // The primary answers within a second; past that this worker's own numbers are better than none.
    setTimeout(() => { if (pending.delete(id)) resolve(metrics().snapshot()); }, 1500).unref();
  });
}
