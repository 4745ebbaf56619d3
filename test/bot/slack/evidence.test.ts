import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../../core/bullmq.js';
import { loadConfig } from '../../../core/config.js';
import { cardOf } from '../../../core/db/chat-cards.js';
import { recordFinding } from '../../../core/db/findings.js';
import { isVigilError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/log.js';
import { evidenceJobId, QUEUES } from '../../../core/queues.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { ACTION_IDS, decodeFindingButton, encodeFindingButton } from '../../../bot/slack/action-ids.js';
import { startSlackApp, type SlackAppHandle } from '../../../bot/slack/app.js';
import type { SlackDeps } from '../../../bot/slack/deps.js';
import { evidencePayload } from '../../../bot/slack/evidence.js';
import { startSlackWorker } from '../../../bot/slack/jobs.js';
import { startPoster, type Poster } from '../../../bot/slack/poster.js';
import { buildEvidencePack } from '../../../runners/evidence/pack.js';
import { pageCapture } from '../../../runners/monitor/capture.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { BOT_TOKEN, startFakeSlack, type FakeSlack, type SlackMessage } from '../../support/fake-slack.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { until } from '../../support/slack-bot.js';
import { buttonClick, interactionBody, postSigned, SIGNING_SECRET } from '../../support/slack-requests.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from '../../runners/monitor/fixture-web.js';

/**
 * The Evidence button end to end: a signed click on a posted card → the slack-queue job → the pack
 * built from the records → Slack's external upload (getUploadURLExternal, the bytes, complete) into
 * the card's thread. The fake Slack records the three calls and the bytes; the zip is checked.
 */

const POLICY = `apiVersion: vigil/v1
kind: Policy
metadata:
  id: policy
spec:
  channels:
    findings: '#vigil-findings'
  approvers:
    takedown: [UALICE]
    detect: [SLAB]
`;
const CONTENT = `apiVersion: vigil/v1
kind: Content
metadata:
  id: moonlit
spec:
  type: film
  title: Moonlit Harbor
  releaseDate: 2026-03-06
  referenceMedia:
    - path: ref.mp4
      kind: video
`;

let services: TestServices;
let fake: FakeSlack;
let web: FixtureServer;
let handle: SlackAppHandle;
let worker: Worker;
let poster: Poster;
let queue: Queue;
let deps: SlackDeps;
let work: string;
let findingId: number;
let card: SlackMessage;
const closers: (() => Promise<void> | void)[] = [];

function buttonsOf(message: SlackMessage): { action_id: string; value: string }[] {
  return (message.blocks ?? []).flatMap((b) => ((b as { type: string }).type === 'actions' ? (b as { elements: { action_id: string; value: string }[] }).elements : []));
}

const click = (user: string, value: string, responseUrl = fake.responseUrl()) =>
  postSigned(handle.url!, interactionBody(buttonClick({ user, actionId: ACTION_IDS.evidence, value, channel: card.channel, messageTs: card.ts, responseUrl })));

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-evidence-slack-test-'));
  services = await openTestServices();
  fake = await startFakeSlack({ usergroups: { SLAB: ['UBOB'] } });
  web = await startFixtureServer();
  await applyCatalog(services.db.pool, CONTENT, POLICY);
  const url = web.url('streamfree.to', '/watch/moonlit-harbor');
  web.route('streamfree.to', '/watch/moonlit-harbor', { body: piracyTemplate({ title: 'Moonlit Harbor watch free 1080p', body: 'eng sub', video: '/media/leak.mp4' }) });
  // The leak is gone by the time someone asks for the pack (and no reference media is on this machine): it must still build, and say so.
  web.route('streamfree.to', '/media/leak.mp4', { status: 404, type: 'text/plain', body: 'gone' });
  const fetch = createFetcher({ allowPrivate: true, resolve: parseResolve(web.resolveEntries()) });
  const { finding } = await recordFinding(services.db.pool, {
    contentId: 'moonlit', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'Moonlit Harbor watch free 1080p', source: 'web', score: 12, matchDistance: 0.09,
    evidence: { phase2: { kind: 'video', media: web.url('streamfree.to', '/media/leak.mp4'), reference: { media: 'ref.mp4' }, distance: 0.09, matchedTimes: [{ from: 1, to: 5, referenceFrom: 61, referenceTo: 65 }] } },
    takedownStatus: 'Available', detectionStatus: 'Not Available', page: pageCapture(await fetch(url)),
  }, { actor: 'monitor', reason: 'confirmed' });
  findingId = finding.id;

  const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_PORT: '0' }).slack;
  const redis = services.redis.client();
  queue = openQueue(QUEUES.slack, services.redis, services.config.queuePrefix);
  const base = { pool: services.db.pool, queue, redis, keyPrefix: services.config.queuePrefix, config, log: silentLogger };
  handle = await startSlackApp(base, '127.0.0.1');
  // The pack builder as the CLI gives it to the bot (runners/evidence/builder.ts), here with the test's fetcher and notices.
  const sources = { notices: () => Promise.resolve([{ id: 1, receipts: [] }]), linkChecks: () => Promise.resolve([]) };
  const evidence = {
    build: (id: number, out: string, o: { overwrite?: boolean } = {}) => buildEvidencePack({ pool: services.db.pool, findingId: id, out, overwrite: o.overwrite ?? false, fetch, mediaRoot: work, software: 'Vigil test', sources }),
  };
  deps = { ...base, client: handle.app.client, evidence };
  worker = startSlackWorker(deps, services.redis, services.config.queuePrefix);
  poster = startPoster({ pool: services.db.pool, config: { botToken: BOT_TOKEN, apiUrl: fake.apiUrl, postsPerSecond: 50 }, log: silentLogger, pollMs: 50 });
  closers.push(() => poster.close(), () => handle.stop(), () => worker.close(), () => queue.close(), () => redis.disconnect(), () => fake.close(), () => web.close(), () => services.close());
  card = await until('the finding card', () => fake.messages('#vigil-findings').find((m) => m.thread_ts && buttonsOf(m).some((b) => b.action_id === ACTION_IDS.evidence)), 15_000);
}, 60_000);

afterAll(async () => {
  for (const close of closers) await close();
  rmSync(work, { recursive: true, force: true });
});

describe('evidence job payloads', () => {
  it('refuses a payload Vigil did not write, naming fields and not values', () => {
    const good = { findingId: 3, version: 1, user: 'UALICE', channel: 'C00000001' };
    expect(evidencePayload(good)).toEqual(good);
    for (const bad of [{ ...good, findingId: 0 }, { ...good, version: 'v1' }, { ...good, user: 'alice' }, { ...good, channel: '' }, { ...good, threadTs: 5 }, null]) {
      let error: unknown;
      try { evidencePayload(bad); } catch (e) { error = e; }
      expect(isVigilError(error) && error.errorName).toBe('JOB_PAYLOAD_INVALID');
    }
    expect(evidenceJobId({ findingId: 3, version: 4 })).toBe('evidence-3-v4');
  });
});

describe('the Evidence button', () => {
  it('is on the card, next to the others, with the card version', () => {
    const ids = buttonsOf(card).map((b) => b.action_id);
    expect(ids).toContain(ACTION_IDS.takedown);
    expect(ids[ids.length - 1]).toBe(ACTION_IDS.evidence);
    expect(decodeFindingButton(buttonsOf(card).find((b) => b.action_id === ACTION_IDS.evidence)!.value)).toEqual({ findingId, version: 1 });
  });

  it('builds the pack and uploads it to the card\'s thread through the external upload flow, once for a double click', async () => {
    const value = buttonsOf(card).find((b) => b.action_id === ACTION_IDS.evidence)!.value;
    const acks = await Promise.all([click('UALICE', value), click('UALICE', value)]);
    for (const a of acks) {
      expect(a.status).toBe(200);
      expect(a.ms).toBeLessThan(3000);
    }
    const [complete] = await fake.waitFor('files.completeUploadExternal', 1, 30_000);
    const row = (await cardOf(services.db.pool, findingId))!;
    expect(complete!.args).toMatchObject({ channel_id: row.channelId, thread_ts: row.threadTs });
    expect(fake.accepted('files.getUploadURLExternal')).toHaveLength(1);
    const [upload] = fake.uploads;
    expect(upload!.filename).toBe(`evidence-finding-${findingId}-v1.zip`);
    expect(upload!.bytes!.length).toBe(upload!.length);
    expect(upload!.shared).toMatchObject({ channel: row.channelId, thread_ts: row.threadTs, title: `Evidence pack of finding #${findingId}` });
    expect(upload!.shared!.initial_comment).toContain('<@UALICE>');
    // This machine has no reference media for the title: the pack says so instead of leaving the frames out in silence.
    expect(upload!.shared!.initial_comment).toMatch(/Not in the pack: frames: reference media ref\.mp4 is not under the media root/);
    // The file is in the card's thread, as Slack shows it.
    expect(fake.messages('#vigil-findings').some((m) => m.thread_ts === row.threadTs && m.files?.[0]?.id === upload!.fileId)).toBe(true);

    // The bytes that reached Slack are a whole pack whose every hash checks.
    const zip = path.join(work, 'uploaded.zip');
    writeFileSync(zip, upload!.bytes!);
    const dir = mkdtempSync(path.join(work, 'unzipped-'));
    execFileSync('unzip', ['-q', zip, '-d', dir]);
    expect(spawnSync('sha256sum', ['-c', '--strict', '--quiet', 'manifest.sha256'], { cwd: dir }).status).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { finding: { id: number }; files: { path: string }[] };
    expect(manifest.finding.id).toBe(findingId);
    expect(manifest.files.map((f) => f.path)).toContain('page.warc.gz');
    expect(JSON.parse(readFileSync(path.join(dir, 'notices.json'), 'utf8'))).toEqual([{ id: 1, receipts: [] }]);

    // A detect approver (through a user group) clicking the same card is told it is on its way, and adds nothing.
    const bobUrl = fake.responseUrl();
    expect((await click('UBOB', value, bobUrl)).status).toBe(200);
    const said = await until('the answer to UBOB', () => fake.responses.find((r) => bobUrl.endsWith(r.id)), 10_000);
    expect(String(said.body.text)).toContain('<@UALICE> already asked');
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.uploads).toHaveLength(1);
  }, 60_000);

  it('refuses someone who is neither a takedown nor a detect approver, and builds nothing', async () => {
    const before = fake.uploads.length;
    const url = fake.responseUrl();
    expect((await click('UMALLORY', encodeFindingButton({ findingId, version: 7 }), url)).status).toBe(200);
    const said = await until('the refusal', () => fake.responses.find((r) => url.endsWith(r.id)), 10_000);
    expect(String(said.body.text)).toContain('VIGIL-E0216');
    expect(String(said.body.text)).toContain('An evidence pack needs a takedown or a detect approver: ask <@UALICE> or a member of <!subteam^SLAB>.');
    expect(await queue.getJob(evidenceJobId({ findingId, version: 7 }))).toBeUndefined();
    expect(fake.uploads.length).toBe(before);
  });

  it('tells the person when Slack refuses to share the pack, with the Slack error and what to do', async () => {
    fake.failNext('files.completeUploadExternal', { status: 200, error: 'not_in_channel' });
    const url = fake.responseUrl();
    await click('UALICE', encodeFindingButton({ findingId, version: 8 }), url);
    const said = await until('the failure', () => fake.responses.find((r) => url.endsWith(r.id) && String(r.body.text).includes('not_in_channel')), 30_000);
    expect(String(said.body.text)).toContain('files.completeUploadExternal');
    expect(String(said.body.text)).toContain('invite the bot');
  }, 40_000);
});
