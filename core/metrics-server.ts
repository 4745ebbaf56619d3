import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_METRICS_PORT } from './config.js';
import { VigilError } from './errors.js';
import { serveMetrics } from './metrics.js';

/** A small HTTP server of its own for a process that has no other (workers, Slack over Socket Mode). */
export interface MetricsServer {
  /** http://host:port/metrics */
  url: string;
  /** Set when the default port was taken and a free one is used instead: the port that was taken. */
  defaultPortTaken: number | undefined;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Serves GET /metrics (and /healthz) on `port` at `host`. A port that was set is kept or refused
 * (METRICS_LISTEN_FAILED): Prometheus scrapes that one. With none set, DEFAULT_METRICS_PORT is
 * tried and, when another process of this machine holds it, a free port is taken and reported.
 */
export async function startMetricsServer(options: { port: number | undefined; host: string }): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    serveMetrics(req, res).then((served) => {
      if (served) return;
      if (req.method === 'GET' && req.url === '/healthz') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this port serves GET /metrics\n');
    }).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
    });
  });
  let defaultPortTaken: number | undefined;
  try {
    await listen(server, options.port ?? DEFAULT_METRICS_PORT, options.host);
  } catch (error) {
    if (options.port !== undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
      throw new VigilError('METRICS_LISTEN_FAILED', `cannot serve /metrics on ${options.host}:${options.port ?? DEFAULT_METRICS_PORT}: ${(error as Error).message}`, { cause: error });
    }
    defaultPortTaken = DEFAULT_METRICS_PORT;
    await listen(server, 0, options.host);
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/metrics`,
    defaultPortTaken,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
