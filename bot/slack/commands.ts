import type { BlockAction, ButtonAction, RespondArguments, RespondFn, SlashCommand } from '@slack/bolt';
import { queryFindings } from '../../core/db/findings.js';
import { requestLinkDetection } from '../../core/db/detection-requests.js';
import { reportLink } from '../../core/db/review.js';
import { statusSummary, type StatusSummary } from '../../core/db/status-summary.js';
import { VigilError } from '../../core/errors.js';
import { parseFindingFilters } from '../../core/finding-filters.js';
import type { FindingAction } from '../../core/queues.js';
import { checkedLink } from '../../core/url.js';
import { ACTION_IDS } from './action-ids.js';
import { enqueueFindingAction } from './actions.js';
import { helpText, parseCommandText, usageText, type VigilCommand } from './command-text.js';
import type { SlackDeps, SlackFeature } from './deps.js';
import { failureText } from './ephemeral.js';
import { decodeFindingsPage, FINDINGS_PAGE_SIZE, findingsPageMessage, type FindingsPageValue } from './findings-page.js';
import { escapeMrkdwn } from './mrkdwn.js';
import { openRegisterModal } from './register.js';
import { reviewQueueAt } from './review.js';

/**
 * `/vigil`: the text is parsed without I/O, a mistake answered with that subcommand's usage in the
 * ack itself (ephemeral). Everything that reads the database or calls Slack happens after the ack,
 * answered through the command's response_url; actions on findings and decisions are slack-queue
 * jobs, done and answered by their processors.
 */

const ephemeral = (text: string, extra: { replace_original?: boolean } = {}): RespondArguments => ({ response_type: 'ephemeral', text, ...extra });

export function statusText(s: StatusSummary): string {
  const jobs = s.jobs.length === 0 ? '  (none)' : s.jobs.map((j) => `• \`${escapeMrkdwn(j.id)}\` ${escapeMrkdwn(j.content_id)} · ${j.tier} · *${j.status}*${j.status_reason ? ` — ${escapeMrkdwn(j.status_reason)}` : ''}`).join('\n');
  const runs = s.reconciliations.length === 0 ? '  (none)' : s.reconciliations.map((r) => `• #${r.id} ${r.finished_at.toISOString().replace(/\.\d+Z$/, 'Z')} \`${(r.commit ?? '-').slice(0, 12)}\` ${r.result} · ${r.changes} change(s)`).join('\n');
  const byTakedown = Object.entries(s.openFindings.byTakedown).map(([status, n]) => `${n} ${status}`).join(', ');
  const byDetection = Object.entries(s.openFindings.byDetection).map(([status, n]) => `${n} ${status}`).join(', ');
  const pushes = s.revocationPushes.length === 0 ? '  (none)' : s.revocationPushes.map((p) => `• ${escapeMrkdwn(p.target)}: ${p.pending} owed since ${p.oldest.toISOString().replace(/\.\d+Z$/, 'Z')}, next try ${p.nextAttemptAt.toISOString().replace(/\.\d+Z$/, 'Z')}${p.lastError ? ` — ${escapeMrkdwn(p.lastError)}` : ''}`).join('\n');
  return [
    `*Monitoring jobs*\n${jobs}`,
    `*Recipients*: ${s.recipients.active} active, ${s.recipients.retired} retired`,
    `*Last reconciliations*\n${runs}`,
    `*Open findings*: ${s.openFindings.total}${byTakedown ? `\n• takedown: ${byTakedown}\n• detection: ${byDetection}` : ''}`,
    `*Revocation pushes owed to CDN mirrors*\n${pushes}`,
  ].join('\n\n');
}

/** One page of findings for `page`; one more is read to know whether a next page exists. */
export async function findingsPage(deps: SlackDeps, page: FindingsPageValue): Promise<RespondArguments> {
  const { query, timeZone } = parseFindingFilters(page.filters);
  const findings = await queryFindings(deps.pool, { ...query, limit: FINDINGS_PAGE_SIZE + 1, offset: page.offset });
  return { response_type: 'ephemeral', ...findingsPageMessage(findings, page, timeZone) };
}

/** A finding action typed as a command: the same job a card's button makes, keyed by the command's trigger id. */
async function commandAction(deps: SlackDeps, command: SlashCommand, findingId: number, action: FindingAction, override = false): Promise<void> {
  await enqueueFindingAction(deps, {
    findingId, action, override, user: command.user_id, channel: command.channel_id, responseUrl: command.response_url, via: 'command', requestKey: command.trigger_id,
  });
}

/** `detect URL`: a finding at that link is detected as a finding; any other link becomes a detection request. */
async function detectLink(deps: SlackDeps, command: SlashCommand, url: string): Promise<string> {
  const { normalizedUrl } = checkedLink(url);
  const [finding] = await queryFindings(deps.pool, { link: { normalizedUrl }, limit: 1 });
  if (finding) {
    await commandAction(deps, command, finding.id, 'detect');
    return `That link is finding #${finding.id}: detection on it is requested; you will hear back here.`;
  }
  const request = await requestLinkDetection(deps.pool, { url, requestedBy: command.user_id, channel: command.channel_id });
  return `Detection request #${request.id} taken for ${escapeMrkdwn(url)}: Vigil downloads it and looks for a watermark; the result is posted in this channel.`;
}

/** What the command answers after its ack. */
async function answer(deps: SlackDeps, command: SlashCommand, parsed: VigilCommand, respond: RespondFn): Promise<void> {
  switch (parsed.name) {
    case 'help':
      return; // answered in the ack
    case 'status':
      await respond(ephemeral(statusText(await statusSummary(deps.pool))));
      return;
    case 'findings':
      await respond(await findingsPage(deps, { filters: parsed.filters, offset: 0 }));
      return;
    case 'takedown':
    case 'ignore':
    case 'detect':
      if ('url' in parsed) {
        await respond(ephemeral(await detectLink(deps, command, parsed.url)));
        return;
      }
      await commandAction(deps, command, parsed.findingId, parsed.name, parsed.name === 'takedown' && parsed.override);
      return;
    case 'review':
      await respond({ response_type: 'ephemeral', ...(await reviewQueueAt(deps, 0)) });
      return;
    case 'report': {
      const outcome = await reportLink(deps.pool, { url: parsed.url, note: parsed.note, reporter: command.user_id });
      const already = outcome.findingId ? ` It is already finding #${outcome.findingId}.` : '';
      await respond(ephemeral(outcome.created
        ? `Thanks — suspect #${outcome.suspectId} is in the review queue with your name on it.${already}`
        : `That link is already in the review queue as suspect #${outcome.suspectId}; your report is recorded too.${already}`));
      return;
    }
    case 'register':
      await openRegisterModal(deps, command.trigger_id, command.user_id);
      return;
  }
}

/** The ack: a usage for a mistake, help at once, and for the rest a short "on it" (or nothing when the answer follows at once). */
function ackText(parsed: VigilCommand): string | undefined {
  switch (parsed.name) {
    case 'help': return helpText();
    case 'takedown': return `Take down finding #${parsed.findingId}: asked; you will hear back here.`;
    case 'ignore': return `Ignore finding #${parsed.findingId}: asked; you will hear back here.`;
    case 'detect': return 'findingId' in parsed ? `Detection on finding #${parsed.findingId}: asked; you will hear back here.` : undefined;
    default: return undefined;
  }
}

export const commandsFeature: SlackFeature = (app, deps) => {
  app.command('/vigil', async ({ command, ack, respond }) => {
    const parsed = parseCommandText(command.text ?? '');
    if (!parsed.ok) {
      await ack(ephemeral(usageText(parsed.error)));
      return;
    }
    const text = ackText(parsed.command);
    await ack(text === undefined ? undefined : ephemeral(text));
    try {
      await answer(deps, command, parsed.command, respond);
    } catch (error) {
      await respond(ephemeral(failureText(error, deps.log, { command: parsed.command.name, user: command.user_id })));
    }
  });

  app.action<BlockAction<ButtonAction>>(ACTION_IDS.findingsPage, async ({ ack, action, respond, body }) => {
    await ack();
    const page = decodeFindingsPage(action.value);
    try {
      if (!page) throw new VigilError('USAGE', 'that page button is not one Vigil made (or its filters no longer check); run /vigil findings again');
      await respond({ ...(await findingsPage(deps, page)), replace_original: true });
    } catch (error) {
      await respond(ephemeral(failureText(error, deps.log, { action: 'findings-page', user: body.user.id }), { replace_original: false }));
    }
  });
};
