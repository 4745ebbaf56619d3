/**
 * The baseline of `npm run bench:edge`: a plain static file server for the same package (node:http,
 * files read once into memory, the same worker count), with no token, revocation or WMT check, so
 * the ratio measures what the edge's checks cost. Usage: edge-static.ts DIR PORT WORKERS.
 */
import cluster from 'node:cluster';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

const [dir, port, workers] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4] ?? 1)];

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let up = 0;
  cluster.on('listening', () => { if (++up === workers) console.log(`static listening on ${port}`); });
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers ?? {})) w?.kill(); process.exit(0); });
} else {
  const files = new Map<string, Buffer>();
  for (const sub of ['', 'A', 'B']) {
    for (const name of await readdir(path.join(dir, sub))) {
      if (/\.(m4s|mp4|m3u8)$/.test(name)) files.set(`/${sub ? `${sub}/` : ''}${name}`, await readFile(path.join(dir, sub, name)));
    }
  }
  http.createServer({ keepAlive: true }, (req, res) => {
    const body = files.get(req.url ?? '');
    if (!body) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': body.length, 'cache-control': 'private, max-age=60' });
    res.end(body);
  }).listen(port, '127.0.0.1', () => { if (workers <= 1) console.log(`static listening on ${port}`); });
}
