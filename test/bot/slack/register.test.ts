import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasErrors } from '../../../core/catalog/diagnostics.js';
import { loadCatalog } from '../../../core/catalog/load.js';
import { loadConfig } from '../../../core/config.js';
import { openCatalogPullRequest, REGISTER_VIEW, registrationOf, type RegisterPayload } from '../../../bot/slack/register.js';
import { startFakeGitHub, type FakeRepo } from '../github/fake-github.js';
import { startSlackBotUnderTest, until, type SlackBotUnderTest } from '../../support/slack-bot.js';
import { commandBody, interactionBody, postSigned } from '../../support/slack-requests.js';

const APP_ID = '4711';

type Values = Record<string, Record<string, Record<string, unknown>>>;

function formValues(over: { title?: string; type?: string; season?: string; episodes?: string; release?: string; watermarked?: string; detection?: string } = {}): Values {
  const selected = (value: string): Record<string, unknown> => ({ type: 'static_select', selected_option: { value, text: { type: 'plain_text', text: value } } });
  return {
    title: { value: { type: 'plain_text_input', value: over.title ?? 'Glass Lighthouse' } },
    type: { value: selected(over.type ?? 'season') },
    season: { value: { type: 'plain_text_input', value: over.season ?? '2' } },
    episodes: { value: { type: 'plain_text_input', value: over.episodes ?? '8' } },
    release: { value: { type: 'datepicker', selected_date: over.release ?? '2026-09-01' } },
    watermarked: { value: selected(over.watermarked ?? 'yes') },
    tier: { value: selected('premium') },
    detection: { value: selected(over.detection ?? 'automatic') },
    takedown: { value: selected('manual') },
  };
}

function submission(user: string, viewId: string, values: Values): string {
  return interactionBody({
    type: 'view_submission', team: { id: 'T0VIGIL', domain: 'vigil-test' }, user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0VIGIL' },
    api_app_id: 'A0VIGIL', token: 'deprecated-verification-token', trigger_id: `${Date.now()}.1.x`,
    view: { id: viewId, team_id: 'T0VIGIL', type: 'modal', callback_id: REGISTER_VIEW, private_metadata: JSON.stringify({ user }), hash: '1.abc', state: { values }, blocks: [], title: { type: 'plain_text', text: 'Register a title' } },
    response_urls: [], is_enterprise_install: false, enterprise: null,
  });
}

describe('registration form', () => {
  it('names each wrong field: a date that is not on the calendar, a season without its number, detection without a watermark', () => {
    const wrong = registrationOf(formValues({ release: '2026-02-30', season: '', watermarked: 'no' }) as never);
    expect(wrong).toEqual({ ok: false, errors: {
      release: '2026-02-30 is not a calendar date; choose one (yyyy-MM-dd).', season: 'A season needs its number, 1 to 999.',
      detection: 'Detection reads a forensic watermark: choose Manual, or say copies are watermarked.',
    } });
    expect(registrationOf(formValues({ type: 'film', season: '', episodes: '' }) as never)).toMatchObject({ ok: true, registration: { type: 'film', title: 'Glass Lighthouse' } });
  });
});

describe('/vigil register without the GitHub App', () => {
  let bot: SlackBotUnderTest;
  beforeAll(async () => { bot = await startSlackBotUnderTest(); });
  afterAll(() => bot.close());

  it('says clearly that it needs the GitHub App, and opens no modal', async () => {
    const responseUrl = bot.fake.responseUrl();
    await postSigned(bot.url, commandBody({ text: 'register', user_id: 'U0ALICE', response_url: responseUrl }));
    const body = await until('the answer', () => bot.fake.responses.find((r) => responseUrl.endsWith(r.id))?.body);
    expect(body.text).toContain('GitHub App');
    expect(body.text).toContain('GITHUB_APP_ID, GITHUB_PRIVATE_KEY, VIGIL_CATALOG_REPO');
    expect(bot.fake.views).toHaveLength(0);
  });
});

describe('/vigil register with the GitHub App', () => {
  let bot: SlackBotUnderTest;
  let github: Awaited<ReturnType<typeof startFakeGitHub>>;
  let repo: FakeRepo;

  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    github = await startFakeGitHub({ appId: APP_ID, publicKey });
    repo = github.addRepo('acme', 'catalog');
    const base = 'a'.repeat(40);
    repo.commits.set(base, { 'catalog/policy.yaml': 'apiVersion: vigil/v1\nkind: Policy\nmetadata: { id: default }\nspec: {}\n' });
    repo.refs.set('main', base);
    const config = loadConfig({ GITHUB_APP_ID: APP_ID, GITHUB_PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), GITHUB_API_URL: github.url, VIGIL_CATALOG_REPO: 'acme/catalog' });
    bot = await startSlackBotUnderTest({ github: config.github });
  });
  afterAll(async () => {
    await bot.close();
    await github.close();
  });

  it('opens the modal with views.open on the command\'s trigger', async () => {
    await postSigned(bot.url, commandBody({ text: 'register', user_id: 'U0ALICE', response_url: bot.fake.responseUrl(), trigger_id: '77.88.99' }));
    const [opened] = await bot.fake.waitFor('views.open', 1);
    expect(opened!.args.trigger_id).toBe('77.88.99');
    expect(bot.fake.views[0]!.view).toMatchObject({ type: 'modal', callback_id: REGISTER_VIEW });
  });

  it('shows a bad date as a field error in the modal and queues nothing', async () => {
    const res = await postSigned(bot.url, submission('U0ALICE', 'VBAD0001', formValues({ release: '2026-13-01' })));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ response_action: 'errors', errors: { release: '2026-13-01 is not a calendar date; choose one (yyyy-MM-dd).' } });
    expect(await bot.queue.getJob('register-VBAD0001')).toBeUndefined();
  });

  it('opens a catalog pull request with a Content and a MonitoringJob that validate, and sends the person its link', async () => {
    const res = await postSigned(bot.url, submission('U0ALICE', 'VGOOD0001', formValues()));
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const dm = await until('the PR link', () => bot.fake.accepted('chat.postMessage').find((c) => c.args.channel === 'U0ALICE'), 10_000);
    expect(String(dm.args.text)).toContain('https://github.example/acme/catalog/pull/1');
    const [pull] = repo.pulls;
    expect(pull).toMatchObject({ base: 'main', title: 'Register Glass Lighthouse', state: 'open' });
    const files = repo.commits.get(repo.refs.get(pull!.head)!)!;
    const added = Object.keys(files).filter((f) => f !== 'catalog/policy.yaml').sort();
    expect(added).toEqual(['catalog/content/glass-lighthouse-s02.yaml', 'catalog/monitoring/glass-lighthouse-s02-watch.yaml']);
    const commit = repo.madeCommits.get(repo.refs.get(pull!.head)!)!;
    expect(commit.parents).toEqual(['a'.repeat(40)]);
    const loaded = loadCatalog(Object.entries(files).map(([path, content]) => ({ path: path.replace(/^catalog\//, ''), content })));
    expect(hasErrors(loaded.diagnostics)).toBe(false);
    expect(files['catalog/content/glass-lighthouse-s02.yaml']).toContain('kind: Content');
    expect(files['catalog/monitoring/glass-lighthouse-s02-watch.yaml']).toMatch(/content: glass-lighthouse-s02\n\s+tier: premium\n\s+detection: automatic/);
    // Git stays the source of truth: nothing was written to the catalog's records.
    const { rows } = await bot.services.db.pool.query('select id from catalog_objects');
    expect(rows).toEqual([]);
  });

  it('reuses the pull request a retried job already opened, and refuses a title whose files exist', async () => {
    const registration = registrationOf(formValues({ title: 'Paper Comet', type: 'film', season: '', episodes: '' }) as never);
    if (!registration.ok) throw new Error('the form should be valid');
    const payload: RegisterPayload = { user: 'U0ALICE', registration: registration.registration, requestKey: 'VRETRY001' };
    const first = await openCatalogPullRequest(bot.deps.github!, payload);
    const again = await openCatalogPullRequest(bot.deps.github!, payload);
    expect(again).toEqual(first);
    expect(repo.pulls.filter((p) => p.title === 'Register Paper Comet')).toHaveLength(1);
    // The catalog branch now has the file (as if the PR was merged): registering it again is refused.
    repo.refs.set('main', repo.refs.get(first.branch)!);
    await expect(openCatalogPullRequest(bot.deps.github!, { ...payload, requestKey: 'VOTHER01' })).rejects.toThrow(/catalog\/content\/paper-comet\.yaml already exists on main/);
  });
});
