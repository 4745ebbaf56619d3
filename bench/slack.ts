/**
 * npm run bench:slack: the two figures of the Slack bot issue, against the local PostgreSQL and
 * Redis and the fake Slack Web API (test/support/fake-slack.ts), in one table with met/missed:
 * - acks: 50 concurrent signed button clicks to the real Bolt app and slack-queue worker
 *   (bench/slack-ack.ts); goal p99 ≤ 300 ms, every job done with exactly one change each;
 * - posting: 1,000 findings of one round posted by the real poster under the fake's per-channel
 *   limit (bench/slack-posting.ts), none lost or doubled, and the time it took against the limit's
 *   floor (messages ÷ rate, the baseline no poster can beat); then again with the poster set above
 *   the limit, so Slack answers 429 with Retry-After and the poster must honour it.
 * Slack's real limit is about one message per second per channel; the fake's is raised
 * (BENCH_SLACK_RATE, default 20/s) so the run takes minutes, not a quarter of an hour.
 * BENCH_SLACK_CLICKS and BENCH_SLACK_FINDINGS change the sizes. Exits 1 when a goal is missed.
 */
import os from 'node:os';
import { ACK_P99_GOAL_MS, ackRows, benchAcks } from './slack-ack.js';
import { benchPosting, type PostingResult } from './slack-posting.js';

const CLICKS = Number(process.env.BENCH_SLACK_CLICKS ?? 50);
const FINDINGS = Number(process.env.BENCH_SLACK_FINDINGS ?? 1000);
const RATE = Number(process.env.BENCH_SLACK_RATE ?? 20);
/** Posting at the limit may take this much longer than its floor (answers take time too). */
const POSTING_RATIO_GOAL = 1.2;

const row = (name: string, value: string, goal: string, ok?: boolean): string =>
  `| ${name.padEnd(58)} | ${value.padStart(10)} | ${goal.padEnd(10)} | ${ok === undefined ? '' : ok ? 'met' : 'MISSED'} |`;

function postingRows(label: string, r: PostingResult, ratioGoal: number | undefined): string[] {
  return [
    row(`${label}: messages posted of ${r.messages}`, String(r.posted), String(r.messages), r.posted === r.messages),
    row(`${label}: lost / doubled`, `${r.lost} / ${r.doubled}`, '0 / 0', r.lost === 0 && r.doubled === 0),
    row(`${label}: 429 answers (Retry-After honoured)`, String(r.rateLimited), ''),
    row(`${label}: time / floor (${r.floorSeconds.toFixed(1)} s at ${RATE}/s)`, `${r.seconds.toFixed(1)} s`, ratioGoal === undefined ? '' : `× ≤ ${ratioGoal}`, ratioGoal === undefined ? undefined : r.ratio <= ratioGoal),
    row(`${label}: ratio to the floor`, `× ${r.ratio.toFixed(3)}`, ''),
  ];
}

const acks = await benchAcks({ clicks: CLICKS });
const atLimit = await benchPosting({ findings: FINDINGS, perSecond: RATE });
const overLimit = await benchPosting({ findings: Math.min(FINDINGS, 300), perSecond: RATE, posterPerSecond: RATE * 1.5 });

console.log(`\nbench:slack: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
console.log(`| ${'measure'.padEnd(58)} | ${'value'.padStart(10)} | ${'goal'.padEnd(10)} | result |`);
console.log(`| ${'-'.repeat(58)} | ${'-'.repeat(10)} | ${'-'.repeat(10)} | ------ |`);
const lines = [
  ...ackRows(acks),
  ...postingRows(`posting ${atLimit.findings} at the limit`, atLimit, POSTING_RATIO_GOAL),
  ...postingRows(`posting ${overLimit.findings} at ×1.5 the limit`, overLimit, undefined),
];
for (const line of lines) console.log(line);
const missed = lines.filter((l) => l.endsWith('| MISSED |')).length;
console.log(missed === 0 ? '\nall goals met' : `\n${missed} goal(s) missed (ack goal p99 ≤ ${ACK_P99_GOAL_MS} ms)`);
process.exitCode = missed === 0 ? 0 : 1;
