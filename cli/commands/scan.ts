import { drainOutbox } from '../../core/db/outbox.js';
import { VigilError } from '../../core/errors.js';
import { queueAdder } from '../../core/relay.js';
import { policyOf } from '../../core/catalog/catalog.js';
import { createConfirmer } from '../../runners/monitor/confirm.js';
import { createFetcher, parseResolve } from '../../runners/monitor/fetch.js';
import { referencesFor } from '../../runners/monitor/references-store.js';
import { otherTitlesOf } from '../../runners/monitor/keywords.js';
import { newRoundId, runRound } from '../../runners/monitor/round.js';
import { formatOf, parse } from '../args.js';
import { catalogDir, loadValidCatalog } from '../catalog-input.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { contentOf } from './keywords.js';

export const usage = `vigil scan --content ID [--catalog DIR] [--seed URL]... [--resolve HOST:PORT:ADDR]... [--allow-private] [--format text|json]
  Run one monitoring round now for one Content: crawl the sites of its monitoring job (all piracy
  sites when it has none) and every --seed, score pages, check suspects' media against the reference
  fingerprints, record findings, and print them. New findings owe their detection job (watermarked
  title, automatic detection) to the detect queue, where a worker picks it up. --resolve maps a host to an address as in curl;
  --allow-private lets the crawler reach private and loopback addresses (tests and labs only).`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  catalog: { type: 'string' },
  content: { type: 'string' },
  seed: { type: 'string', multiple: true },
  resolve: { type: 'string', multiple: true },
  'allow-private': { type: 'boolean', default: false },
  format: { type: 'string', default: 'text' },
} as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('scan', argv, options, 0);
  const format = formatOf('scan', values.format);
  if (!values.content) throw new VigilError('USAGE', 'vigil scan: --content ID is required');
  for (const seed of values.seed ?? []) {
    if (!/^https?:\/\//i.test(seed)) throw new VigilError('USAGE', `vigil scan: --seed ${JSON.stringify(seed)} is not an http(s) URL`);
  }
  const dir = catalogDir(io, values.catalog);
  const loaded = await loadValidCatalog(io, dir, format, { sourceEnvPrefix: ctx.config.sourceEnvPrefix });
  const doc = contentOf(loaded, values.content);
  const job = [...loaded.catalog.byKind.MonitoringJob.values()].find((j) => j.spec.content === doc.metadata.id && !j.spec.stopped);
  const thresholds = policyOf(loaded.catalog)?.spec.thresholds ?? {};
  const fetch = createFetcher({ allowPrivate: values['allow-private'], resolve: parseResolve(values.resolve ?? []), signal: io.signal });

  const db = await ctx.db();
  // Fingerprinted once per content and media list, then read back by every later scan and round
  // (references-store.ts). Reference media not on this machine is skipped: phase 2 then sends suspects to review.
  const { references, missing } = await referencesFor(db.pool, doc.metadata.id, doc.spec, dir);
  for (const m of missing) print(io.stderr, `note: reference media ${m} not found under ${dir}; skipped`);
  const result = await runRound({
    contentId: doc.metadata.id,
    content: doc.spec,
    ...(job ? { job: { id: job.metadata.id, spec: job.spec } } : {}),
    sites: [...loaded.catalog.byKind.Site.values()],
    otherTitles: otherTitlesOf([...loaded.catalog.byKind.Content.values()], doc.metadata.id),
    seeds: values.seed ?? [],
    fetch,
    env: io.env,
    credentialPrefix: ctx.config.sourceEnvPrefix,
    log: ctx.log,
    ...(thresholds.suspectScore === undefined ? {} : { suspectScore: thresholds.suspectScore }),
    confirm: createConfirmer({ fetch, references, ...(thresholds.matchDistance === undefined ? {} : { matchDistance: thresholds.matchDistance }) }),
    db: db.pool,
    actor: 'scan',
    // One scan is one round: its new findings share one Slack thread.
    roundId: newRoundId('scan'),
    signal: io.signal,
  });
  // Follow-up jobs (detection on new findings of a watermarked title with automatic detection) were
  // written to the outbox with each finding; move them to their queues before exiting. Should this
  // fail or be cut short, the relay of any worker process sends them later.
  const queued = await drainOutbox(db.pool, queueAdder((name) => ctx.queue(name)));
  if (format === 'json') {
    const { keywords: _k, ...rest } = result;
    print(io.stdout, JSON.stringify({ ...rest, queuedJobs: queued }, null, 2));
    return 0;
  }
  print(io.stdout, `Scanned ${result.pages} page(s) for ${doc.metadata.id}: ${result.findings.length} finding(s), ${result.suspects.length} suspect(s), ${result.hops.length} domain hop(s).`);
  if (queued > 0) print(io.stdout, `  ${queued} job(s) queued (detection on new findings).`);
  for (const f of result.findings) {
    print(io.stdout, `  finding ${f.created ? 'new ' : 'seen'}  ${f.url}  site=${f.siteId ?? '-'} family=${f.family ?? '-'} score=${f.score} ${f.distance === undefined ? `confirmed-by=${f.confirmedBy}` : `distance=${f.distance.toFixed(3)}`}`);
  }
  for (const s of result.suspects.filter((x) => x.verdict !== 'match')) print(io.stdout, `  suspect ${s.verdict.padEnd(11)} ${s.url}  score=${s.score}  ${s.reason ?? ''}`);
  for (const h of result.hops) print(io.stdout, `  hop  ${h.via} → ${h.host}  family=${h.site.family}  ${h.signals.map((s) => `${s.kind}: ${s.detail}`).join('; ')}`);
  if (result.allowListedPages > 0) print(io.stdout, `  ${result.allowListedPages} page(s) on allow-listed sites ignored.`);
  for (const e of result.errors.slice(0, 20)) print(io.stderr, `  could not fetch: ${e.message}`);
  return 0;
}
