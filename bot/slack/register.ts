import type { types, ViewOutput } from '@slack/bolt';
import type { Job } from 'bullmq';
import { stringify } from 'yaml';
import { formatDiagnostic, hasErrors } from '../../core/catalog/diagnostics.js';
import { loadCatalog } from '../../core/catalog/load.js';
import type { ContentSpec, MonitoringJobSpec } from '../../core/catalog/types.js';
import { VigilError } from '../../core/errors.js';
import { redactedMessage } from '../../core/redact.js';
import { githubStatus, missingGitHub, openCatalogChange, type GitHubSettings } from './catalog-pull-request.js';
import type { SlackDeps, SlackFeature } from './deps.js';
import { failureText } from './ephemeral.js';

/**
 * `/vigil register`: a modal for a new title and its monitoring. A valid submission becomes a
 * slack-queue job ('register') that opens a catalog pull request through the GitHub App (a
 * branch, one commit adding the Content and its MonitoringJob, the PR) and tells the person its
 * link. Git stays the source of truth: nothing here writes desired state to the database, and
 * the files are checked by the catalog's own validation before they are pushed.
 */

type View = types.View;
export type { GitHubSettings };
export { missingGitHub };

/** The modal's callback id. */
export const REGISTER_VIEW = 'vigil.register';

/** Every modal field's block id; each holds one element whose action id is 'value'. */
type Field = 'title' | 'type' | 'season' | 'episodes' | 'release' | 'watermarked' | 'tier' | 'detection' | 'takedown';

export interface Registration {
  title: string;
  type: 'film' | 'season';
  season?: number;
  episodes?: number;
  releaseDate: string;
  watermarked: boolean;
  tier: 'standard' | 'premium';
  detection: 'manual' | 'automatic';
  takedown: 'manual' | 'automatic';
}

function option(text: string, value: string): types.PlainTextOption {
  return { text: { type: 'plain_text', text }, value };
}

function select(block: Field, label: string, options: [string, string][], initial: number): types.InputBlock {
  const opts = options.map(([text, value]) => option(text, value));
  return { type: 'input', block_id: block, label: { type: 'plain_text', text: label }, element: { type: 'static_select', action_id: 'value', options: opts, initial_option: opts[initial]! } };
}

/** The modal, as views.open takes it; private_metadata keeps who asked. */
export function registerView(user: string): View {
  return {
    type: 'modal', callback_id: REGISTER_VIEW, private_metadata: JSON.stringify({ user }),
    title: { type: 'plain_text', text: 'Register a title' }, submit: { type: 'plain_text', text: 'Open pull request' }, close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'input', block_id: 'title', label: { type: 'plain_text', text: 'Title' }, element: { type: 'plain_text_input', action_id: 'value', max_length: 200 } },
      select('type', 'Type', [['Film', 'film'], ['Season of a series', 'season']], 0),
      { type: 'input', block_id: 'season', optional: true, label: { type: 'plain_text', text: 'Season number (seasons only)' }, element: { type: 'plain_text_input', action_id: 'value', max_length: 4 } },
      { type: 'input', block_id: 'episodes', optional: true, label: { type: 'plain_text', text: 'Episodes in the season (seasons only)' }, element: { type: 'plain_text_input', action_id: 'value', max_length: 5 } },
      { type: 'input', block_id: 'release', label: { type: 'plain_text', text: 'Release date' }, element: { type: 'datepicker', action_id: 'value' } },
      select('watermarked', 'Forensic watermark on copies', [['No', 'no'], ['Yes', 'yes']], 0),
      select('tier', 'Monitoring tier', [['Standard', 'standard'], ['Premium (review queue)', 'premium']], 0),
      select('detection', 'Watermark detection', [['Manual', 'manual'], ['Automatic', 'automatic']], 0),
      select('takedown', 'Takedown', [['Manual', 'manual'], ['Automatic', 'automatic']], 0),
    ],
  };
}

type StateValues = ViewOutput['state']['values'];

function valueOf(values: StateValues, field: Field): string | undefined {
  const element = values[field]?.value as { value?: string | null; selected_date?: string | null; selected_option?: { value?: string } | null } | undefined;
  const raw = element?.value ?? element?.selected_date ?? element?.selected_option?.value ?? undefined;
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
}

function isDay(day: string): boolean {
  const time = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(day);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  return allowed.find((a) => a === value);
}

/** The submitted modal as a registration, or the message for each field that is wrong (shown under it). */
export function registrationOf(values: StateValues): { ok: true; registration: Registration } | { ok: false; errors: Partial<Record<Field, string>> } {
  const errors: Partial<Record<Field, string>> = {};
  const title = valueOf(values, 'title');
  if (!title) errors.title = 'Give the title people know it by.';
  else if (!/[\p{L}\p{N}]/u.test(title)) errors.title = 'A title needs at least one letter or digit.';
  const type = oneOf(valueOf(values, 'type'), ['film', 'season'] as const);
  if (!type) errors.type = 'Choose film or season.';
  const seasonText = valueOf(values, 'season');
  const episodesText = valueOf(values, 'episodes');
  let season: number | undefined;
  let episodes: number | undefined;
  if (type === 'season') {
    season = Number(seasonText);
    if (!seasonText || !Number.isInteger(season) || season < 1 || season > 999) errors.season = 'A season needs its number, 1 to 999.';
    episodes = Number(episodesText);
    if (!episodesText || !Number.isInteger(episodes) || episodes < 1 || episodes > 10000) errors.episodes = 'A season needs its number of episodes, 1 to 10000.';
  } else {
    if (seasonText) errors.season = 'Only a season has a season number; leave it empty for a film.';
    if (episodesText) errors.episodes = 'Only a season has episodes; leave it empty for a film.';
  }
  const releaseDate = valueOf(values, 'release');
  if (!releaseDate || !isDay(releaseDate)) errors.release = releaseDate ? `${releaseDate} is not a calendar date; choose one (yyyy-MM-dd).` : 'Choose the release date.';
  const watermarked = valueOf(values, 'watermarked') === 'yes';
  const tier = oneOf(valueOf(values, 'tier'), ['standard', 'premium'] as const) ?? 'standard';
  const detection = oneOf(valueOf(values, 'detection'), ['manual', 'automatic'] as const) ?? 'manual';
  const takedown = oneOf(valueOf(values, 'takedown'), ['manual', 'automatic'] as const) ?? 'manual';
  if (detection === 'automatic' && !watermarked) errors.detection = 'Detection reads a forensic watermark: choose Manual, or say copies are watermarked.';
  if (Object.keys(errors).length > 0 || !title || !type || !releaseDate) return { ok: false, errors };
  return { ok: true, registration: { title, type, ...(season === undefined ? {} : { season }), ...(episodes === undefined ? {} : { episodes }), releaseDate, watermarked, tier, detection, takedown } };
}

/** A catalog id from the title: lowercase ASCII words joined by '-', a season suffixed (-s02). */
export function contentIdOf(r: Registration): string {
  const base = r.title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50).replace(/-+$/, '') || 'title';
  return r.season === undefined ? base : `${base}-s${String(r.season).padStart(2, '0')}`;
}

export interface CatalogFiles {
  contentId: string;
  monitoringJobId: string;
  /** Path (relative to the catalog root) → YAML. */
  files: Record<string, string>;
}

/** The two catalog files a registration adds, as YAML in the catalog's envelope. */
export function catalogFilesOf(r: Registration): CatalogFiles {
  const contentId = contentIdOf(r);
  const monitoringJobId = `${contentId}-watch`;
  const content: ContentSpec = { type: r.type, title: r.title, ...(r.season === undefined ? {} : { season: r.season }), ...(r.episodes === undefined ? {} : { episodes: r.episodes }), releaseDate: r.releaseDate, watermarked: r.watermarked };
  const job: MonitoringJobSpec = { content: contentId, tier: r.tier, detection: r.detection, takedown: r.takedown };
  const header = '# yaml-language-server: $schema=../../schemas/catalog.schema.json\n';
  const doc = (kind: string, id: string, name: string | undefined, spec: object): string =>
    header + stringify({ apiVersion: 'vigil/v1', kind, metadata: { id, ...(name ? { name } : {}) }, spec }, { lineWidth: 0 });
  const name = `${r.title}${r.season === undefined ? ' (film)' : `, season ${r.season}`}`;
  return {
    contentId, monitoringJobId,
    files: {
      [`content/${contentId}.yaml`]: doc('Content', contentId, name, content),
      [`monitoring/${monitoringJobId}.yaml`]: doc('MonitoringJob', monitoringJobId, undefined, job),
    },
  };
}

/** The catalog's own validation on the generated files; REGISTER_FAILED lists what it found. */
export function validateCatalogFiles(files: CatalogFiles): void {
  const loaded = loadCatalog(Object.entries(files.files).map(([path, content]) => ({ path, content })));
  if (hasErrors(loaded.diagnostics)) {
    throw new VigilError('REGISTER_FAILED', `the catalog files for ${files.contentId} do not validate:\n${loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d)).join('\n')}`,
      { fix: 'Nothing was pushed. Run /vigil register again with the values named above corrected.' });
  }
}


function notConfigured(missing: string[]): VigilError {
  return new VigilError('REGISTER_FAILED', `registering a title opens a catalog pull request through the GitHub App, and this Vigil has no ${missing.join(', ')}`);
}

export async function openRegisterModal(deps: SlackDeps, triggerId: string, user: string): Promise<void> {
  const missing = missingGitHub(deps.github);
  if (missing.length > 0) throw notConfigured(missing);
  await deps.client.views.open({ trigger_id: triggerId, view: registerView(user) });
}

export interface RegisterPayload {
  user: string;
  registration: Registration;
  /** The submitted view's id: a retry of the same submission opens the same branch. */
  requestKey: string;
}

export const registerFeature: SlackFeature = (app, deps) => {
  app.view(REGISTER_VIEW, async ({ ack, view, body }) => {
    const parsed = registrationOf(view.state.values);
    if (!parsed.ok) {
      await ack({ response_action: 'errors', errors: parsed.errors as Record<string, string> });
      return;
    }
    await ack();
    const payload: RegisterPayload = { user: body.user.id, registration: parsed.registration, requestKey: view.id };
    try {
      await deps.queue.add('register', payload, { jobId: `register-${view.id.replace(/[^A-Za-z0-9._-]/g, '_')}` });
    } catch (error) {
      await deps.client.chat.postMessage({ channel: body.user.id, text: failureText(error, deps.log, { view: REGISTER_VIEW }) });
    }
  });
};

/** The pull request for a registration: a branch from the catalog branch, one commit with both files, the PR (reused when a retry finds it). */
export async function openCatalogPullRequest(settings: GitHubSettings, payload: RegisterPayload): Promise<{ url: string; number: number; branch: string }> {
  const files = catalogFilesOf(payload.registration);
  validateCatalogFiles(files);
  const who = `<@${payload.user}> in Slack`;
  const pull = await openCatalogChange(settings, {
    branch: `vigil/register-${files.contentId}-${payload.requestKey.replace(/[^A-Za-z0-9]/g, '').slice(-8).toLowerCase()}`,
    files: files.files,
    commitMessage: `Register ${payload.registration.title} (${files.contentId}) and its monitoring job\n\nAsked by ${payload.user} through /vigil register.`,
    title: `Register ${payload.registration.title}`,
    body: `Adds Content \`${files.contentId}\` and MonitoringJob \`${files.monitoringJobId}\` (${payload.registration.tier}, detection ${payload.registration.detection}, takedown ${payload.registration.takedown}), as asked by ${who}.\n\nVigil's plan check shows what applying it changes; merging it starts monitoring.`,
  });
  if (pull.outcome === 'exists') throw new VigilError('REGISTER_FAILED', `${pull.path} already exists on ${pull.base}: the title may be registered already (choose another title or season)`);
  return { url: pull.url, number: pull.number, branch: pull.branch };
}

function isPayload(data: unknown): data is RegisterPayload {
  const p = data as Partial<RegisterPayload> | null;
  return typeof p === 'object' && p !== null && typeof p.user === 'string' && typeof p.requestKey === 'string' && typeof p.registration === 'object' && p.registration !== null;
}

/** The 'register' job: the pull request, then a direct message to the person with its link (or what went wrong). */
export async function processRegister(job: Job, deps: SlackDeps): Promise<unknown> {
  if (!isPayload(job.data)) throw new VigilError('JOB_PAYLOAD_INVALID', `a register job needs { user, registration, requestKey }, got ${JSON.stringify(job.data)}`);
  const payload = job.data;
  const missing = missingGitHub(deps.github);
  try {
    if (missing.length > 0) throw notConfigured(missing);
    const pull = await openCatalogPullRequest(deps.github!, payload);
    await deps.client.chat.postMessage({ channel: payload.user, text: `Pull request #${pull.number} registers *${payload.registration.title}*: ${pull.url}\nMonitoring starts when it is merged.` });
    return pull;
  } catch (error) {
    if (error instanceof VigilError) {
      await deps.client.chat.postMessage({ channel: payload.user, text: failureText(error, deps.log, { job: job.id }) });
      return { failed: error.code };
    }
    const code = githubStatus(error);
    // GitHub refusing (401/403/404/422) will refuse again: say so; a 5xx or network fault is retried.
    if (code !== undefined && code < 500) {
      const refused = new VigilError('REGISTER_FAILED', `GitHub refused the pull request (${code}: ${redactedMessage(error)})`);
      await deps.client.chat.postMessage({ channel: payload.user, text: failureText(refused, deps.log, { job: job.id }) });
      return { failed: refused.code };
    }
    throw error;
  }
}
