/**
 * The posting half of `npm run bench:slack`: N findings of one round posted by the REAL poster
 * (bot/slack/poster.ts) to the fake Slack Web API with its per-channel limit set, then counted in
 * the fake: each finding's card key exactly once (none lost, none doubled), and the time it took
 * against the limit's floor (messages / rate). bench/slack.ts prints the table; run this file
 * directly to try it alone (BENCH_FINDINGS, BENCH_RATE).
 */
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../core/config.js';
import { openDatabase } from '../core/db/database.js';
import { recordFinding } from '../core/db/findings.js';
import { silentLogger } from '../core/log.js';
import { startPoster } from '../bot/slack/poster.js';
import { hostOf, normalizeUrl } from '../core/url.js';
import { BOT_TOKEN, startFakeSlack } from '../test/support/fake-slack.js';
import { createScratchDatabase } from './scratch-database.js';

export interface PostingOptions {
  findings: number;
  /** The fake's limit and the poster's rate: chat.postMessage per second per channel. */
  perSecond: number;
  /** The poster's own rate, when it should differ from the fake's limit (above it: Slack answers 429s the poster must honour). */
  posterPerSecond?: number;
  /** Give up after this long (ms); what was posted by then is counted. */
  timeoutMs?: number;
}

export interface PostingResult {
  findings: number;
  /** Messages the round needs: its summary and one card per finding. */
  messages: number;
  posted: number;
  lost: number;
  doubled: number;
  /** 429s the fake answered: the poster's own pacing should keep this at 0. */
  rateLimited: number;
  seconds: number;
  floorSeconds: number;
  /** seconds / floorSeconds: 1.0 is posting at exactly the limit. */
  ratio: number;
}

const CHANNEL = '#bench-findings';

export async function benchPosting(options: PostingOptions): Promise<PostingResult> {
  const scratch = await createScratchDatabase(`vigil_bench_slack_${Date.now().toString(36)}`);
  const fake = await startFakeSlack();
  const config = loadConfig({ DATABASE_URL: scratch.url, VIGIL_LOG_LEVEL: 'silent' });
  const db = await openDatabase(config, silentLogger);
  try {
    const pool = db.pool;
    await pool.query(`insert into catalog_objects (kind, id, spec, metadata, spec_hash) values
      ('Content', 'bench-title', $1, '{"id":"bench-title"}', 'h'), ('Policy', 'default', $2, '{"id":"default"}', 'h')`,
    [JSON.stringify({ type: 'film', title: 'Bench Title', releaseDate: '2026-01-01' }), JSON.stringify({ channels: { findings: CHANNEL } })]);
    const ids: number[] = [];
    for (let i = 0; i < options.findings; i += 1) {
      const url = `https://streamfree.to/watch/bench-${i}`;
      const { finding } = await recordFinding(pool, {
        contentId: 'bench-title', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), siteId: 'streamfree', family: 'streamfree', pageTitle: `Bench Title part ${i}`,
        source: 'web', score: 12, matchDistance: 0.05, evidence: { phase2: { kind: 'video', matchedTimes: [{ from: 0, to: 60 }] } },
        takedownStatus: 'Available', detectionStatus: 'Not Available', roundId: 'bench-round',
      }, { actor: 'bench', reason: 'bench finding' });
      ids.push(finding.id);
    }
    fake.limit('chat.postMessage', options.perSecond, { perChannel: true });
    const messages = options.findings + 1;
    const start = performance.now();
    const poster = startPoster({ pool, config: { botToken: BOT_TOKEN, apiUrl: fake.apiUrl, postsPerSecond: options.posterPerSecond ?? options.perSecond }, log: silentLogger, pollMs: 100 });
    const deadline = Date.now() + (options.timeoutMs ?? Math.max(60_000, (messages / options.perSecond) * 3000));
    try {
      while (Date.now() < deadline) {
        const { rows } = await pool.query<{ n: number }>(`select count(*)::int as n from chat_cards where state = 'posted'`);
        if (rows[0]!.n >= options.findings) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await poster.close();
    }
    const seconds = (performance.now() - start) / 1000;
    const keys = new Map<string, number>();
    for (const m of fake.messages(CHANNEL)) {
      const key = m.metadata?.event_payload.key;
      if (typeof key === 'string') keys.set(key, (keys.get(key) ?? 0) + 1);
    }
    const expected = ['summary:bench-title:bench-round', ...ids.map((id) => `card:${id}`)];
    const lost = expected.filter((k) => !keys.has(k)).length;
    const doubled = [...keys.values()].filter((n) => n > 1).length;
    const floorSeconds = messages / options.perSecond;
    return {
      findings: options.findings, messages, posted: expected.length - lost, lost, doubled,
      rateLimited: fake.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 429).length,
      seconds, floorSeconds, ratio: seconds / floorSeconds,
    };
  } finally {
    await db.close();
    await fake.close();
    await scratch.drop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchPosting({ findings: Number(process.env.BENCH_FINDINGS ?? 1000), perSecond: Number(process.env.BENCH_RATE ?? 20) });
  console.log(JSON.stringify(result, null, 2));
}
