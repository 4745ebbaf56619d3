import { generateKeyPairSync } from 'node:crypto';
import type { Job } from 'bullmq';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAllowListProposal, allowListSiteFile } from '../../../bot/slack/allow-list.js';
import { hasErrors } from '../../../core/catalog/diagnostics.js';
import { loadCatalog } from '../../../core/catalog/load.js';
import { loadConfig } from '../../../core/config.js';
import { allowListProposal } from '../../../core/db/allow-list-proposals.js';
import { actOnFinding } from '../../../core/db/finding-actions.js';
import { recordFinding } from '../../../core/db/findings.js';
import { drainOutbox, outboxRows } from '../../../core/db/outbox.js';
import { QUEUES } from '../../../core/queues.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { applyCatalog, contentDoc } from '../../support/applied-catalog.js';
import { startSlackBotUnderTest, until, type SlackBotUnderTest } from '../../support/slack-bot.js';
import { startFakeGitHub, type FakeRepo } from '../github/fake-github.js';

const APP_ID = '4711';
const SITES = `apiVersion: vigil/v1
kind: Site
metadata:
  id: streamfree
spec:
  type: piracy
  domains: [streamfree.to]
---
apiVersion: vigil/v1
kind: Site
metadata:
  id: harbor-official
spec:
  type: legitimate
  domains: [www.harborpictures.example]
`;
const policy = (proposeOnIgnore: boolean) => `apiVersion: vigil/v1\nkind: Policy\nmetadata:\n  id: policy\nspec:\n  takedown:\n    allowList: { proposeOnIgnore: ${proposeOnIgnore} }\n`;

describe('Ignore teaches the allow-list', () => {
  let bot: SlackBotUnderTest;
  let github: Awaited<ReturnType<typeof startFakeGitHub>>;
  let repo: FakeRepo;
  let n = 0;

  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    github = await startFakeGitHub({ appId: APP_ID, publicKey });
    repo = github.addRepo('acme', 'catalog');
    const base = 'b'.repeat(40);
    repo.commits.set(base, { 'catalog/policy.yaml': policy(true) });
    repo.refs.set('main', base);
    const config = loadConfig({ GITHUB_APP_ID: APP_ID, GITHUB_PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), GITHUB_API_URL: github.url, VIGIL_CATALOG_REPO: 'acme/catalog' });
    bot = await startSlackBotUnderTest({ github: config.github });
    await applyCatalog(bot.services.db.pool, contentDoc('moonlit'), SITES, policy(true));
  });
  afterAll(async () => {
    await bot?.close();
    await github?.close();
  });

  const finding = async (url: string) => {
    n += 1;
    return (await recordFinding(bot.services.db.pool, {
      contentId: 'moonlit', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: `Moonlit ${n}`, source: 'web', score: 9, evidence: {},
      takedownStatus: 'Available', detectionStatus: 'Not Available',
    }, { actor: 'monitor', reason: 'fixture' })).finding.id;
  };
  const ignore = (id: number, user = 'U0ALICE') => actOnFinding(bot.services.db.pool, id, 'ignore', { actor: `slack:${user}`, reason: 'Ignore in Slack (card button)', override: false, via: 'slack-button' });
  const proposalJobs = async () => (await outboxRows(bot.services.db.pool)).filter((r) => r.name === 'allow-list-proposal');
  const relay = () => drainOutbox(bot.services.db.pool, async (job) => {
    if (job.queue === QUEUES.slack) await bot.queue.add(job.name, job.payload, { jobId: job.jobId });
  });

  it('proposes a host that is no catalog Site in one catalog pull request, however many of its findings are ignored', async () => {
    const first = await finding('https://www.clips.example/v/1');
    const second = await finding('https://clips.example/v/2');
    expect(await ignore(first)).toMatchObject({ outcome: 'done', to: { takedown: 'Ignore' } });
    expect(await ignore(second, 'U0BOB')).toMatchObject({ outcome: 'done' });
    const jobs = await proposalJobs();
    expect(new Set(jobs.map((j) => j.jobId))).toEqual(new Set(['allow-list-clips.example']));
    expect(jobs[0]).toMatchObject({ queue: 'slack', payload: { host: 'clips.example' } });
    await relay();
    const pull = await until('the pull request', () => repo.pulls[0], 10_000);
    expect(pull).toMatchObject({ title: 'Allow-list clips.example', base: 'main', head: 'vigil/allow-clips.example', state: 'open' });
    expect(pull.body).toContain('Adds Site `allow-clips-example` (type legitimate, domain `clips.example`)');
    expect(pull.body).toContain(`finding #${first} \`https://www.clips.example/v/1\` (moonlit), ignored by \`slack:U0ALICE\`: \`Ignore in Slack (card button)\``);
    expect(pull.body).toContain(`Also ignored on clips.example: #${second} \`https://clips.example/v/2\``);
    const files = repo.commits.get(repo.refs.get(pull.head)!)!;
    expect(Object.keys(files).sort()).toEqual(['catalog/policy.yaml', 'catalog/sites/allow-clips.example.yaml']);
    const loaded = loadCatalog(Object.entries(files).map(([path, content]) => ({ path: path.replace(/^catalog\//, ''), content })));
    expect(hasErrors(loaded.diagnostics), JSON.stringify(loaded.diagnostics)).toBe(false);
    expect(loaded.catalog.byKind.Site.get('allow-clips-example')).toMatchObject({ metadata: { id: 'allow-clips-example' }, spec: { type: 'legitimate', domains: ['clips.example'] } });
    await until('the pull request recorded', async () => (await allowListProposal(bot.services.db.pool, 'clips.example'))?.pull ?? undefined);
    expect(await allowListProposal(bot.services.db.pool, 'clips.example')).toMatchObject({ findingId: first, proposedBy: 'slack:U0ALICE', pull: { url: pull.html_url, number: pull.number } });
    const { rows } = await bot.services.db.pool.query(`select action from audit_log where action like 'allow-list-%' order by id`);
    expect(rows.map((r) => r.action)).toEqual(['allow-list-proposed', 'allow-list-pull-request']);
    // Once the pull request is open, a further Ignore of the host asks for nothing more.
    const before = (await proposalJobs()).length;
    await ignore(await finding('https://clips.example/v/3'));
    expect((await proposalJobs()).length).toBe(before);
    expect(repo.pulls).toHaveLength(1);
  });

  it('proposes nothing for a host that is a catalog Site already, piracy or legitimate, or a subdomain of one', async () => {
    const before = (await proposalJobs()).length;
    for (const url of ['https://streamfree.to/watch/x', 'https://cdn.streamfree.to/x.mp4', 'https://harborpictures.example/trailer', 'https://watch.www.harborpictures.example/x']) {
      expect(await ignore(await finding(url))).toMatchObject({ outcome: 'done' });
    }
    expect((await proposalJobs()).length).toBe(before);
    // An address is no domain a Site could list.
    await ignore(await finding('http://203.0.113.7/leak.mp4'));
    expect((await proposalJobs()).length).toBe(before);
    // A look-alike is not a subdomain.
    await ignore(await finding('https://notstreamfree.to/watch/x'));
    expect((await proposalJobs()).map((j) => j.jobId)).toContain('allow-list-notstreamfree.to');
  });

  it('without a GitHub App logs it once and keeps the proposal, which opens once the App is there', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => { lines.push(s); } });
    const noApp = { ...bot.deps, log, github: undefined };
    const job = (host: string) => ({ id: `allow-list-${host}`, name: 'allow-list-proposal', data: { host } }) as unknown as Job;
    await ignore(await finding('https://fansub.example/a'));
    await ignore(await finding('https://another.example/b'));
    expect(await processAllowListProposal(job('fansub.example'), noApp)).toEqual({ status: 'pending', missing: ['GITHUB_APP_ID', 'GITHUB_PRIVATE_KEY', 'VIGIL_CATALOG_REPO (owner/name)'] });
    expect(await processAllowListProposal(job('another.example'), noApp)).toMatchObject({ status: 'pending' });
    const warnings = lines.filter((l) => l.includes('allow-list proposals wait'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, missing: ['GITHUB_APP_ID', 'GITHUB_PRIVATE_KEY', 'VIGIL_CATALOG_REPO (owner/name)'] });
    expect((await allowListProposal(bot.services.db.pool, 'fansub.example'))?.pull).toBeNull();
    const opened = await processAllowListProposal(job('fansub.example'), bot.deps);
    expect(opened).toMatchObject({ status: 'opened', url: expect.stringMatching(/\/pull\/\d+$/) });
    expect(repo.pulls.map((p) => p.title)).toContain('Allow-list fansub.example');
    // A job run again after its pull request opened changes nothing.
    expect(await processAllowListProposal(job('fansub.example'), bot.deps)).toMatchObject({ status: 'already-open' });
  });

  it('logs a GitHub refusal with its code and keeps the proposal for the next Ignore', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => { lines.push(s); } });
    // The App is not installed on this repository: GitHub answers 404, which no retry changes.
    const elsewhere = { ...bot.deps, log, github: { ...bot.deps.github!, catalogRepo: { fullName: 'acme/not-installed' } } };
    await ignore(await finding('https://refused.example/a'));
    const job = { id: 'allow-list-refused.example', name: 'allow-list-proposal', data: { host: 'refused.example' } } as unknown as Job;
    expect(await processAllowListProposal(job, elsewhere as typeof bot.deps)).toEqual({ status: 'failed', code: 'VIGIL-E0515' });
    expect(lines.join('')).toMatch(/GitHub refused the allow-list pull request for refused.example \(404/);
    expect((await allowListProposal(bot.services.db.pool, 'refused.example'))?.pull).toBeNull();
    // The next Ignore of the host asks again.
    const before = (await proposalJobs()).filter((j) => j.jobId === 'allow-list-refused.example').length;
    await ignore(await finding('https://refused.example/b'));
    expect((await proposalJobs()).filter((j) => j.jobId === 'allow-list-refused.example').length).toBe(before + 1);
  });

  it('refuses a payload that is not a host at once', async () => {
    const job = { id: 'x', name: 'allow-list-proposal', data: { host: 'Bad Host/`rm`' } } as unknown as Job;
    await expect(processAllowListProposal(job, bot.deps)).rejects.toThrow(/allow-list-proposal job needs \{ host/);
    expect(allowListSiteFile('a'.repeat(70) + '.example', 1).siteId).toMatch(/^allow-a{57}$/);
  });

  it('proposes nothing when the Policy turns proposeOnIgnore off', async () => {
    await applyCatalog(bot.services.db.pool, contentDoc('moonlit'), SITES, policy(false));
    const before = (await proposalJobs()).length;
    expect(await ignore(await finding('https://quiet.example/x'))).toMatchObject({ outcome: 'done' });
    expect((await proposalJobs()).length).toBe(before);
    expect(await allowListProposal(bot.services.db.pool, 'quiet.example')).toBeUndefined();
  });
});
