/**
 * npm run bench:reconcile: validate + plan of a generated 10,000-document catalog (target ≤ 2 s)
 * and a no-op apply of it (target ≤ 1 s), against the PostgreSQL and Redis this machine runs
 * (BENCH_DATABASE_URL / BENCH_REDIS_URL to point elsewhere). Baseline, in the same process: reading
 * the same files and parsing them with yaml.parseAllDocuments alone, no positions or checks.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { openQueue } from '../core/bullmq.js';
import { loadConfig } from '../core/config.js';
import { openDatabase } from '../core/db/database.js';
import { silentLogger } from '../core/log.js';
import { QUEUES } from '../core/queues.js';
import { openRedis } from '../core/redis.js';
import { apply } from '../reconciler/apply.js';
import { loadCatalog, readCatalogDir } from '../core/catalog/load.js';
import { desiredState } from '../reconciler/desired.js';
import { plan } from '../reconciler/plan.js';
import { bullmqSchedulers } from '../reconciler/schedulers.js';
import { loadActualState } from '../reconciler/store.js';
import { generateCatalog } from './generate-catalog.js';
import { createScratchDatabase } from './scratch-database.js';

const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function repeat<T>(fn: () => Promise<T> | T): Promise<{ median: number; best: number; value: T }> {
  const times: number[] = [];
  let value!: T;
  for (let i = 0; i < RUNS; i++) {
    const r = await time(fn);
    times.push(r.ms);
    value = r.value;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, best: times[0]!, value };
}

async function main(): Promise<void> {
  const dir = path.join(os.tmpdir(), `vigil-bench-catalog-${process.pid}`);
  const written = await generateCatalog(dir, DOCUMENTS);
  const scratch = await createScratchDatabase(`vigil_bench_${process.pid}`);
  const config = loadConfig({ DATABASE_URL: scratch.url, REDIS_URL, VIGIL_QUEUE_PREFIX: `bench-${process.pid}` });
  const db = await openDatabase(config, silentLogger);
  const redis = await openRedis(config, silentLogger);
  const queue = openQueue(QUEUES.monitor, redis, config.queuePrefix);
  const schedulers = bullmqSchedulers(queue);
  try {
    const baseline = await repeat(async () => {
      const files = await readCatalogDir(dir);
      let docs = 0;
      for (const f of files) {
        const parsed = parseAllDocuments(f.content.toString());
        docs += Array.isArray(parsed) ? parsed.map((d) => d.toJS()).length : 0;
      }
      return docs;
    });
    const validate = await repeat(async () => loadCatalog(await readCatalogDir(dir)));
    const errors = validate.value.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) throw new Error(`generated catalog has ${errors.length} errors`);
    const validatePlanEmpty = await repeat(async () => {
      const loaded = loadCatalog(await readCatalogDir(dir));
      return plan(desiredState(loaded.catalog), await loadActualState(db.pool), new Date());
    });
    const firstApply = await time(() => apply(db.pool, desiredState(validate.value.catalog), { source: dir, actor: 'bench', schedulers }));
    const validatePlanFull = await repeat(async () => {
      const loaded = loadCatalog(await readCatalogDir(dir));
      return plan(desiredState(loaded.catalog), await loadActualState(db.pool), new Date());
    });
    const desired = desiredState(validate.value.catalog);
    const noop = await repeat(() => apply(db.pool, desired, { source: dir, actor: 'bench', schedulers }));
    if (noop.value.result !== 'no-op') throw new Error(`second apply was ${noop.value.result}, not no-op`);
    const jobs = validate.value.catalog.byKind.MonitoringJob.size;

    const row = (name: string, ms: number, target: string, ok?: boolean) =>
      `| ${name.padEnd(52)} | ${ms.toFixed(0).padStart(8)} | ${target.padEnd(8)} | ${ok === undefined ? '' : ok ? 'met' : 'MISSED'} |`;
    console.log(`\nbench:reconcile: ${written} documents in ${validate.value.files} files (${jobs} monitoring jobs), ${os.cpus().length} cores, median of ${RUNS} runs\n`);
    console.log('| step                                                 |  ms      | target   | result |');
    console.log('| ---------------------------------------------------- | -------- | -------- | ------ |');
    console.log(row('baseline: read + yaml.parseAllDocuments only', baseline.median, ''));
    console.log(row('validate (parse, schemas, cross-document checks)', validate.median, ''));
    console.log(row('validate + plan, empty database', validatePlanEmpty.median, '≤ 2000', validatePlanEmpty.median <= 2000));
    console.log(row('validate + plan, database holding the catalog', validatePlanFull.median, '≤ 2000', validatePlanFull.median <= 2000));
    console.log(row(`first apply (${firstApply.value.plan.changes.length} changes, ${jobs} schedulers)`, firstApply.ms, ''));
    console.log(row('no-op apply (lock, read state + Redis, plan, record)', noop.median, '≤ 1000', noop.median <= 1000));
    console.log(`\nvalidate / baseline parse: ${(validate.median / baseline.median).toFixed(2)}×; best runs: validate+plan ${validatePlanFull.best.toFixed(0)} ms, no-op apply ${noop.best.toFixed(0)} ms`);
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await redis.stop();
    await db.close();
    await scratch.drop();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

await main();
