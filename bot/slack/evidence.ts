import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BlockAction, ButtonAction } from '@slack/bolt';
import type { Job } from 'bullmq';
import { cardOf } from '../../core/db/chat-cards.js';
import { findingById } from '../../core/db/findings.js';
import { ERROR_CODES, VigilError } from '../../core/errors.js';
import { evidenceJobId, type EvidencePayload } from '../../core/queues.js';
import { redactedMessage } from '../../core/redact.js';
import { ACTION_IDS, decodeFindingButton } from './action-ids.js';
import { appliedPolicy } from '../../core/db/policy.js';
import { approversOf, authorize, type Approval } from './approvers.js';
import type { SlackDeps, SlackFeature } from './deps.js';
import { escapeMrkdwn } from './mrkdwn.js';

/**
 * A finding card's Evidence button: the click is acknowledged at once; then, if the person may ask
 * (a takedown or a detect approver of the applied Policy: the people who act on findings), an
 * 'evidence' job on the slack queue builds the pack (runners/evidence/pack.ts) and uploads it to
 * the card's thread with Slack's external upload flow: files.getUploadURLExternal, the bytes POSTed
 * to the upload URL, files.completeUploadExternal with the channel and thread. One job per finding
 * and card version, so a double click, Slack's retry or a second person's click on the same card
 * builds one pack; a card changed since (a new version) gets a new one.
 *
 * The person is checked before the job is added (so a refused click cannot take the job id of a
 * card version) and again in the job (the Policy may have changed in between).
 *
 * bot/ may not import runners/: the pack builder (runners/evidence/builder.ts) reaches the job as
 * SlackDeps.evidence, given by the CLI that starts the bot or the slack-queue worker.
 */

export const EVIDENCE_JOB = 'evidence';

/** What the job reads of a built pack (runners/evidence/pack.ts PackResult has it all). */
export interface BuiltPack {
  file: string;
  sha256: string;
  files: readonly { path: string }[];
  missing: readonly { part: string; why: string }[];
}

/** Builds a finding's pack at `out` (runners/evidence/builder.ts evidenceBuilder). */
export interface PackBuilder {
  build(findingId: number, out: string, options?: { overwrite?: boolean }): Promise<BuiltPack>;
}

/** A takedown or a detect approver may ask for a pack; the refusal names who to ask of both. */
export async function mayAskForEvidence(deps: SlackDeps, user: string): Promise<Approval> {
  const takedown = await authorize(deps, 'takedown', user);
  if (takedown.allowed) return takedown;
  const detect = await authorize(deps, 'detect', user);
  if (detect.allowed) return detect;
  const policy = await appliedPolicy(deps.pool);
  const [t, d] = [approversOf(policy, 'takedown'), approversOf(policy, 'detect')];
  const names = [...new Set([...t.users, ...d.users])].map((u) => `<@${u}>`).concat([...new Set([...t.groups, ...d.groups])].map((g) => `a member of <!subteam^${g}>`));
  if (names.length === 0) {
    return { allowed: false, why: 'An evidence pack needs a takedown or a detect approver, and the Policy lists none: add Slack user or user-group ids to spec.approvers.takedown or spec.approvers.detect in the Policy and apply it.' };
  }
  // Slack could not say who is in a group just now: that is worth saying, or the person may think they are simply not allowed.
  const unread = [takedown.why, detect.why].find((w) => w.includes('did not say who is in'));
  const who = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]!}`;
  return { allowed: false, why: `An evidence pack needs a takedown or a detect approver: ask ${who}.${unread ? ` (${unread})` : ''}` };
}

/** The payload as the job holds it, checked: a job added by hand or by an older version may not fit. */
export function evidencePayload(data: unknown): EvidencePayload {
  const d = (data ?? {}) as Partial<Record<keyof EvidencePayload, unknown>>;
  const optional = (v: unknown): boolean => v === undefined || typeof v === 'string';
  const ok = Number.isSafeInteger(d.findingId) && (d.findingId as number) > 0 && Number.isSafeInteger(d.version) && (d.version as number) >= 0
    && typeof d.user === 'string' && /^[UW][A-Z0-9]+$/.test(d.user) && typeof d.channel === 'string' && d.channel !== ''
    && optional(d.messageTs) && optional(d.threadTs) && optional(d.responseUrl);
  if (!ok) throw new VigilError('JOB_PAYLOAD_INVALID', `an evidence job needs { findingId, version, user, channel }; got fields ${Object.keys(d).join(', ') || 'none'}`);
  return d as EvidencePayload;
}

export const evidenceButton: SlackFeature = (app, deps) => {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION_IDS.evidence }, async ({ ack, body, action, respond }) => {
    await ack();
    const value = decodeFindingButton(action.value);
    const channel = body.channel?.id ?? body.container?.channel_id;
    const tell = (text: string): Promise<unknown> => respond({ response_type: 'ephemeral', replace_original: false, text });
    if (!value || typeof channel !== 'string') {
      await tell('That button was not made by Vigil (or its value was cut short), so no evidence pack was built. Use the Evidence button on a Vigil finding card, or vigil evidence ID.');
      return;
    }
    try {
      const approval = await mayAskForEvidence(deps, body.user.id);
      if (!approval.allowed) {
        await tell(`${approval.why} (${ERROR_CODES.ACTION_NOT_ALLOWED.code})`);
        return;
      }
      const messageTs = body.message?.ts ?? body.container?.message_ts;
      const threadTs = (body.message as { thread_ts?: unknown } | undefined)?.thread_ts ?? (body.container as { thread_ts?: unknown } | undefined)?.thread_ts;
      const payload: EvidencePayload = {
        findingId: value.findingId, version: value.version, user: body.user.id, channel, responseUrl: body.response_url,
        ...(typeof messageTs === 'string' ? { messageTs } : {}), ...(typeof threadTs === 'string' ? { threadTs } : {}),
      };
      // BullMQ drops an add under a job id it holds (and answers with our own data), so the earlier asker is read first.
      const earlier = await deps.queue.getJob(evidenceJobId(payload));
      if (!earlier) await deps.queue.add(EVIDENCE_JOB, payload, { jobId: evidenceJobId(payload) });
      const first = (earlier?.data as Partial<EvidencePayload> | undefined)?.user;
      await tell(first !== undefined && first !== payload.user
        ? `<@${first}> already asked for the evidence pack of finding #${value.findingId} from this card; it goes to the card's thread.`
        : `Building the evidence pack of finding #${value.findingId}; it goes to the card's thread in a minute or two.`);
    } catch (error) {
      deps.log.error({ findingId: value.findingId, err: { message: redactedMessage(error) } }, 'slack evidence request could not be queued');
      await tell(`The evidence pack of finding #${value.findingId} could not be asked for just now. Try again in a minute, or run vigil evidence ${value.findingId}.`);
    }
  });
};

/** The message the pack is posted with: who asked, what is in it, what could not be made. */
export function packComment(p: EvidencePayload, pack: BuiltPack, url: string): string {
  const lines = [
    `<@${p.user}> evidence pack of finding #${p.findingId} (${escapeMrkdwn(url)}): ${pack.files.length + 1} files, SHA-256 of the zip ${pack.sha256}.`,
    `Check it with \`unzip\` and \`sha256sum -c manifest.sha256\`.`,
    ...pack.missing.map((m) => `Not in the pack: ${escapeMrkdwn(m.part)}: ${escapeMrkdwn(m.why)}`),
  ];
  return lines.join('\n').slice(0, 3900);
}

function slackError(error: unknown): string {
  return (error as { data?: { error?: string } }).data?.error ?? redactedMessage(error);
}

/** Slack's external upload: ask for an upload URL, POST the bytes, then share the file in the thread. */
export async function uploadToThread(deps: SlackDeps, file: { name: string; title: string; bytes: Buffer }, where: { channel: string; threadTs?: string }, comment: string): Promise<string> {
  let upload;
  try {
    upload = await deps.client.files.getUploadURLExternal({ filename: file.name, length: file.bytes.length });
  } catch (error) {
    throw new VigilError('EVIDENCE_UPLOAD_FAILED', `Slack refused files.getUploadURLExternal for ${file.name}: ${slackError(error)}`, { cause: error });
  }
  if (!upload.upload_url || !upload.file_id) throw new VigilError('EVIDENCE_UPLOAD_FAILED', `files.getUploadURLExternal for ${file.name} named no upload_url or file_id`);
  const res = await fetch(upload.upload_url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: file.bytes });
  await res.arrayBuffer().catch(() => undefined);
  // A 5xx can pass (the job is retried); a 4xx is a refusal no retry changes.
  if (res.status >= 500) throw new Error(`Slack's upload URL answered HTTP ${res.status}`);
  if (!res.ok) throw new VigilError('EVIDENCE_UPLOAD_FAILED', `Slack's upload URL for ${file.name} answered HTTP ${res.status}`);
  try {
    await deps.client.files.completeUploadExternal({
      files: [{ id: upload.file_id, title: file.title }], channel_id: where.channel, ...(where.threadTs ? { thread_ts: where.threadTs } : {}), initial_comment: comment,
    });
  } catch (error) {
    throw new VigilError('EVIDENCE_UPLOAD_FAILED', `Slack refused files.completeUploadExternal for ${file.name} in ${where.channel}: ${slackError(error)}`, { cause: error });
  }
  return upload.file_id;
}

/** Where the pack goes: the card's own thread when the card is on record, else the thread the button was in. */
async function destination(deps: SlackDeps, p: EvidencePayload): Promise<{ channel: string; threadTs?: string }> {
  const card = await cardOf(deps.pool, p.findingId);
  if (card?.state === 'posted' && card.channelId && card.threadTs) return { channel: card.channelId, threadTs: card.threadTs };
  const threadTs = p.threadTs ?? p.messageTs;
  return { channel: p.channel, ...(threadTs ? { threadTs } : {}) };
}

export type EvidenceJobResult = { outcome: 'posted'; fileId: string; sha256: string; missing: number } | { outcome: 'not-allowed' | 'unknown' | 'unavailable' };

/** The slack-queue job 'evidence': may the person ask, then build the pack and upload it to the card's thread. */
export async function processEvidence(job: Job, deps: SlackDeps): Promise<EvidenceJobResult> {
    const p = evidencePayload(job.data);
    const log = deps.log.child({ findingId: p.findingId, user: p.user, jobId: job.id });
    const ephemeral = (text: string): Promise<unknown> => deps.client.chat.postEphemeral({ channel: p.channel, user: p.user, text });
    const approval = await mayAskForEvidence(deps, p.user);
    if (!approval.allowed) {
      await ephemeral(`${approval.why} (${ERROR_CODES.ACTION_NOT_ALLOWED.code})`);
      return { outcome: 'not-allowed' };
    }
    const finding = await findingById(deps.pool, p.findingId);
    if (!finding) {
      await ephemeral(`Finding #${p.findingId} no longer exists, so there is no evidence pack to build.`);
      return { outcome: 'unknown' };
    }
    if (!deps.evidence) {
      log.error({}, 'an evidence job reached a slack worker started without a pack builder (SlackDeps.evidence)');
      await ephemeral(`This Vigil bot cannot build evidence packs (it was started without them); run vigil evidence ${p.findingId} instead, or tell whoever runs Vigil.`);
      return { outcome: 'unavailable' };
    }
    const dir = await mkdtemp(path.join(tmpdir(), 'vigil-evidence-slack-'));
    try {
      const name = `evidence-finding-${p.findingId}-v${p.version}.zip`;
      const pack = await deps.evidence.build(p.findingId, path.join(dir, name), { overwrite: true });
      const where = await destination(deps, p);
      // The upload is the last step: a retry after it could only be of a failed completeUploadExternal, which shared nothing.
      const fileId = await uploadToThread(deps, { name, title: `Evidence pack of finding #${p.findingId}`, bytes: await readFile(pack.file) }, where, packComment(p, pack, finding.url));
      log.info({ fileId, sha256: pack.sha256, missing: pack.missing.length }, 'evidence pack posted');
      return { outcome: 'posted', fileId, sha256: pack.sha256, missing: pack.missing.length };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
}
