import type { types } from '@slack/bolt';
import type { CardView, FindingChange, SummaryView } from '../../core/db/chat-cards.js';
import { whatActionDoes } from '../../core/db/finding-actions.js';
import type { Finding } from '../../core/db/findings.js';
import type { FindingAction } from '../../core/queues.js';
import { ACTION_IDS, encodeFindingButton } from './action-ids.js';
import type { CardNotice, FindingCardView } from './card-view.js';
import type { CounterNotice } from '../../core/db/counter-notices.js';
import { escapeMrkdwn, mrkdwnLink } from './mrkdwn.js';

/**
 * What Slack shows of findings, as Block Kit: a finding's card, a round's summary, and the
 * threaded replies for results. Pure: views in, messages out; the poster sends them. Every text
 * is cut to Slack's limits here, so a long title or URL never makes Slack refuse a message.
 */

type KnownBlock = types.KnownBlock;
type Button = types.Button;

/** A message as chat.postMessage / chat.update take it: `text` is the notification and fallback. */
export interface SlackMessageBody {
  text: string;
  blocks: KnownBlock[];
}

/** Slack's limits (Block Kit reference). */
export const SLACK_LIMITS = {
  blocks: 50,
  text: 3000,
  header: 150,
  field: 2000,
  fields: 10,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  contextElements: 10,
  altText: 2000,
  fallback: 4000,
} as const;

/** Cuts to `max` characters (an ellipsis marks the cut). */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Escapes what Slack's mrkdwn treats as markup (&, <, >). */
/** A time Slack shows in each reader's own time zone, with a UTC fallback. */
export function slackDate(at: Date): string {
  const seconds = Math.floor(at.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${at.toISOString().replace('T', ' ').slice(0, 16)} UTC>`;
}

/** An actor as the audit log names it: a Slack user (slack:U…, or a bare U…/W… id) becomes a mention. */
export function actorText(actor: string): string {
  const user = /^(?:slack:)?([UW][A-Z0-9]{2,20})$/.exec(actor);
  return user ? `<@${user[1]}>` : escapeMrkdwn(actor);
}

const mrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text: clip(text, SLACK_LIMITS.text) });
const plain = (text: string, max: number = SLACK_LIMITS.text): types.PlainTextElement => ({ type: 'plain_text', text: clip(text, max), emoji: true });

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The episode a finding is of, when the evidence says: phase 2's matched reference, else phase 1's one episode term. */
export function episodeOf(evidence: Record<string, unknown>): number | undefined {
  const fromReference = numberOf(record(record(evidence.phase2)?.reference)?.episode);
  if (fromReference !== undefined) return fromReference;
  const episodes = record(evidence.phase1)?.episodes;
  return Array.isArray(episodes) && episodes.length === 1 ? numberOf(episodes[0]) : undefined;
}

/** "Title S02E05", "Title S02", or the title. */
export function titleLine(content: { title: string; season?: number }, episode?: number): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (content.season !== undefined) return `${content.title} S${pad(content.season)}${episode === undefined ? '' : `E${pad(episode)}`}`;
  return episode === undefined ? content.title : `${content.title} E${pad(episode)}`;
}

/** A frame or page thumbnail phase 2 stored, when it is an http(s) URL Slack can fetch. */
export function thumbnailOf(evidence: Record<string, unknown>): string | undefined {
  const phase2 = record(evidence.phase2);
  const pages = Array.isArray(phase2?.matchedPages) ? phase2.matchedPages : [];
  const candidates = [phase2?.thumbnail, evidence.thumbnail, record(pages[0])?.thumbnail];
  return candidates.find((c): c is string => typeof c === 'string' && /^https?:\/\/\S+$/.test(c) && c.length <= 3000);
}

function seconds(value: unknown): string | undefined {
  const s = numberOf(value);
  if (s === undefined) return undefined;
  const whole = Math.max(0, Math.round(s));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = whole % 60;
  return `${h > 0 ? `${h}:` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(sec).padStart(2, '0')}`;
}

/** Phase 2's evidence in one line: the distance and what matched (times for video, pages for images). */
export function evidenceLine(finding: Pick<Finding, 'matchDistance' | 'evidence'>): string | undefined {
  const phase2 = record(finding.evidence.phase2);
  const parts: string[] = [];
  if (finding.matchDistance !== null) parts.push(`match distance ${finding.matchDistance.toFixed(3)}`);
  const times = Array.isArray(phase2?.matchedTimes) ? phase2.matchedTimes.map(record).filter((t) => t !== undefined) : [];
  if (times.length > 0) {
    const spans = times.slice(0, 5).map((t) => {
      const own = `${seconds(t.from) ?? '?'}–${seconds(t.to) ?? '?'}`;
      const ref = t.referenceFrom === undefined ? '' : ` (original ${seconds(t.referenceFrom) ?? '?'}–${seconds(t.referenceTo) ?? '?'})`;
      return own + ref;
    });
    parts.push(`matched ${spans.join(', ')}${times.length > 5 ? ` and ${times.length - 5} more` : ''}`);
  } else if (numberOf(phase2?.matchedFrames) !== undefined) {
    parts.push(`${numberOf(phase2?.matchedFrames)} of ${numberOf(phase2?.checkedFrames) ?? '?'} frames matched`);
  }
  const pages = Array.isArray(phase2?.matchedPages) ? phase2.matchedPages.map(record).filter((p) => p !== undefined) : [];
  if (pages.length > 0) {
    const numbers = pages.slice(0, 12).map((p) => String(numberOf(p.page) ?? '?'));
    parts.push(`pages ${numbers.join(', ')}${pages.length > 12 ? ` and ${pages.length - 12} more` : ''} matched${numberOf(phase2?.checkedPages) === undefined ? '' : ` of ${numberOf(phase2?.checkedPages)}`}`);
  }
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u += 1; }
  return `${v >= 10 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** A torrent confirmed by its metadata (runners/monitor/torrent-check.ts), in one line: its name, size and the files that matched. */
export function torrentLine(evidence: Record<string, unknown>): string | undefined {
  const phase2 = record(evidence.phase2);
  if (phase2?.method !== 'torrent-metadata') return undefined;
  const name = typeof phase2.name === 'string' ? phase2.name : '?';
  const total = numberOf(phase2.totalLength);
  const files = Array.isArray(phase2.matchedFiles) ? phase2.matchedFiles.map(record).filter((f) => f !== undefined) : [];
  const shown = files.slice(0, 3).map((f) => {
    const episodes = Array.isArray(f.episodes) && f.episodes.length > 0 ? ` E${f.episodes.map(String).join(',')}` : '';
    const path = typeof f.path === 'string' ? f.path.split('/').pop()! : '?';
    return `${path}${episodes} (${numberOf(f.length) === undefined ? '?' : bytes(numberOf(f.length)!)})`;
  });
  const more = files.length > 3 ? ` and ${files.length - 3} more` : '';
  return `confirmed by torrent metadata, not media: "${name}"${total === undefined ? '' : `, ${bytes(total)}`}, ${numberOf(phase2.fileCount) ?? '?'} file(s); matched ${shown.join(', ')}${more}`;
}

/** The hop that led to the finding's host (a domain move of a known site), when there was one. */
export function hopLine(evidence: Record<string, unknown>): string | undefined {
  const hop = record(evidence.hop);
  if (!hop) return undefined;
  const host = typeof hop.host === 'string' ? hop.host : undefined;
  const via = typeof hop.via === 'string' ? hop.via : undefined;
  const confidence = numberOf(hop.confidence);
  if (!host && !via) return undefined;
  return `${via ? `hopped from ${via}` : 'hopped'}${host ? ` to ${host}` : ''}${confidence === undefined ? '' : ` (confidence ${Math.round(confidence * 100)}%)`}`;
}

export type OfferedAction = 'takedown' | 'takedownOverride' | 'ignore' | 'detect';

/**
 * The buttons a finding's card offers, by its statuses: only what can still act, as decided by
 * core's whatActionDoes. Take down that the rule allows only with the override (watermarked
 * content before detection completed: the takedown destroys the copy detection needs) is offered
 * as the override button, whose confirm dialog says so.
 */
export function offeredActions(finding: Pick<Finding, 'id' | 'version' | 'takedownStatus' | 'detectionStatus'>, content: { watermarked: boolean }): OfferedAction[] {
  // The buttons are exactly what core's rule would do: a card never offers what a click would refuse.
  const does = (action: FindingAction, override = false): boolean => 'do' in whatActionDoes(finding, content, action, override);
  const actions: OfferedAction[] = [];
  // An ignored finding's card is closed: `/vigil takedown ID` still reverses a mistaken Ignore.
  const closed = finding.takedownStatus === 'Ignore';
  if (!closed && does('takedown')) actions.push('takedown');
  else if (!closed && does('takedown', true)) actions.push('takedownOverride');
  if (does('ignore')) actions.push('ignore');
  if (does('detect')) actions.push('detect');
  return actions;
}

function confirm(title: string, text: string, yes: string, style?: 'danger'): types.ConfirmationDialog {
  return {
    title: plain(title, SLACK_LIMITS.confirmTitle),
    text: mrkdwn(clip(text, SLACK_LIMITS.confirmText)),
    confirm: plain(yes, SLACK_LIMITS.confirmButton),
    deny: plain('Cancel', SLACK_LIMITS.confirmButton),
    ...(style ? { style } : {}),
  };
}

function buttons(view: CardView): Button[] {
  const { finding, content } = view;
  const value = encodeFindingButton({ findingId: finding.id, version: finding.version });
  const host = clip(finding.host, 80);
  const make = (action: OfferedAction): Button => {
    switch (action) {
      case 'takedown':
        return { type: 'button', action_id: ACTION_IDS.takedown, text: plain('Take down', SLACK_LIMITS.buttonText), style: 'danger', value,
          confirm: confirm('Send a takedown notice?', `A takedown notice for this link on *${escapeMrkdwn(host)}* goes to the site.`, 'Take down', 'danger') };
      case 'takedownOverride':
        return { type: 'button', action_id: ACTION_IDS.takedownOverride, text: plain('Take down', SLACK_LIMITS.buttonText), style: 'danger', value,
          confirm: confirm('Override: take down before detection?',
            `*${escapeMrkdwn(clip(content.title, 80))}* is watermarked and detection has not completed. Taking the link down destroys the copy detection needs to find who leaked it. Override and take down anyway?`,
            'Override and take down', 'danger') };
      case 'ignore':
        return { type: 'button', action_id: ACTION_IDS.ignore, text: plain('Ignore', SLACK_LIMITS.buttonText), value,
          confirm: confirm('Ignore this finding?', `No takedown notice will be sent for this link on *${escapeMrkdwn(host)}*.`, 'Ignore') };
      case 'detect':
        return { type: 'button', action_id: ACTION_IDS.detect, text: plain('Detect', SLACK_LIMITS.buttonText), style: 'primary', value,
          confirm: confirm('Detect the watermark?', 'Vigil downloads the leaked copy and reads which recipient it was made for.', 'Detect') };
    }
  };
  // Evidence is asked for whatever the statuses: a completed takedown is when a platform or a lawyer asks for it.
  const evidence: Button = { type: 'button', action_id: ACTION_IDS.evidence, text: plain('Evidence', SLACK_LIMITS.buttonText), value,
    confirm: confirm('Build the evidence pack?', 'Vigil fetches the leak again, puts its matched frames beside the reference frames, and posts a zip with the page as fetched, the distances, the notices and a SHA-256 manifest in this thread.', 'Build it') };
  return [...offeredActions(finding, content).map(make), evidence];
}

/** The last status change in words: "<@U1> took down 3 Dec 10:04". */
function changeWords(change: FindingChange): string {
  const what = change.action === 'takedown-status' ? `takedown ${change.from} → ${change.to}` : `detection ${change.from} → ${change.to}`;
  return `Last: ${what} by ${actorText(change.actor)}, ${slackDate(change.at)}`;
}

const CHANNEL_WORDS: Record<CardNotice['channel'], string> = { smtp: 'by e-mail', form: 'through the site\'s web form' };

/** The latest notice in one line: to whom, via which channel, when, and where it stands. */
export function noticeLine(notice: CardNotice): string {
  const to = escapeMrkdwn(clip(notice.contact, 200));
  const via = CHANNEL_WORDS[notice.channel];
  const at = slackDate(notice.at);
  switch (notice.status) {
    case 'sent': return notice.channel === 'form'
      ? `Notice #${notice.id} prepared ${at} for the web form at ${to}: a person pastes it (see this thread)`
      : `Notice #${notice.id} sent to ${to} ${via}, ${at}`;
    case 'queued': return `Notice #${notice.id} to ${to} ${via} queued ${at}`;
    case 'sending': return `Notice #${notice.id} to ${to} ${via} being sent (since ${at})`;
    case 'failed': return `Notice #${notice.id} to ${to} ${via} not delivered${notice.reason ? `: ${escapeMrkdwn(clip(notice.reason, 300))}` : ''}`;
  }
}

/** A counter-notice and its 512(g) restore window in one line. */
export function counterNoticeLine(c: CounterNotice): string {
  const from = c.from ? ` from ${escapeMrkdwn(clip(c.from, 120))}` : '';
  return `Counter-notice received ${c.receivedOn}${from}: the link may be restored from ${c.restoreEarliest} and must be by ${c.restoreLatest}, unless an action is filed first`;
}

/** A finding's card: what was found where, the evidence, its statuses, its notice and counter-notice, who acted last, and the buttons that can still act. */
export function findingCard(view: FindingCardView): SlackMessageBody {
  const { finding, content } = view;
  const episode = episodeOf(finding.evidence);
  const title = titleLine(content, episode);
  const blocks: KnownBlock[] = [];
  blocks.push({ type: 'header', text: plain(`${title} — finding #${finding.id}`, SLACK_LIMITS.header) });
  blocks.push({ type: 'section', text: mrkdwn(`${mrkdwnLink(finding.url, clip(finding.url, 200))}${finding.pageTitle ? `\n${escapeMrkdwn(clip(finding.pageTitle, 300))}` : ''}`) });
  const fields = [
    `*Site*\n${escapeMrkdwn(finding.siteId ?? finding.host)}`,
    `*Family*\n${escapeMrkdwn(finding.family ?? '—')}`,
    `*Takedown*\n${finding.takedownStatus}`,
    `*Detection*\n${finding.detectionStatus}`,
    `*First seen*\n${slackDate(finding.firstSeen)}`,
    `*Seen*\n${finding.rounds === 1 ? 'once' : `${finding.rounds} times, last ${slackDate(finding.lastSeen)}`}`,
  ];
  const hop = hopLine(finding.evidence);
  if (hop) fields.push(`*Hop*\n${escapeMrkdwn(hop)}`);
  blocks.push({ type: 'section', fields: fields.slice(0, SLACK_LIMITS.fields).map((f) => mrkdwn(clip(f, SLACK_LIMITS.field))) });
  const evidence = evidenceLine(finding);
  const thumbnail = thumbnailOf(finding.evidence);
  if (evidence) blocks.push({ type: 'context', elements: [mrkdwn(`Phase 2: ${escapeMrkdwn(evidence)}`)] });
  const torrent = torrentLine(finding.evidence);
  if (torrent) blocks.push({ type: 'context', elements: [mrkdwn(`Torrent: ${escapeMrkdwn(clip(torrent, 2000))}`)] });
  if (thumbnail) blocks.push({ type: 'image', image_url: thumbnail, alt_text: clip(`Matched ${episode === undefined ? 'frame' : `frame of episode ${episode}`} of ${content.title}`, SLACK_LIMITS.altText) });
  const detection = record(finding.evidence.detection);
  if (detection) blocks.push({ type: 'context', elements: [mrkdwn(detectionWords(detection))] });
  if (view.notice) blocks.push({ type: 'context', elements: [mrkdwn(`:incoming_envelope: ${noticeLine(view.notice)}`)] });
  if (view.counterNotice) blocks.push({ type: 'context', elements: [mrkdwn(`:scales: ${counterNoticeLine(view.counterNotice)}`)] });
  if (view.lastChange) blocks.push({ type: 'context', elements: [mrkdwn(changeWords(view.lastChange))] });
  const actions = buttons(view);
  if (actions.length > 0) blocks.push({ type: 'actions', block_id: `finding:${finding.id}`, elements: actions });
  const text = clip(`${title}: ${finding.url} (takedown ${finding.takedownStatus}, detection ${finding.detectionStatus})`, SLACK_LIMITS.fallback);
  return { text, blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}

function countLine(counts: Partial<Record<string, number>>): string {
  return Object.entries(counts).filter(([, n]) => (n ?? 0) > 0).map(([status, n]) => `${status} ${n}`).join(' · ') || '—';
}

/** A round's summary: the title, how many findings, and how many in each status; the cards follow in its thread. */
export function roundSummary(view: SummaryView): SlackMessageBody {
  const title = titleLine(view.content);
  const count = `${view.count} ${view.count === 1 ? 'finding' : 'findings'}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`${title} — ${count}`, SLACK_LIMITS.header) },
    { type: 'section', fields: [mrkdwn(`*Takedown*\n${countLine(view.takedown)}`), mrkdwn(`*Detection*\n${countLine(view.detection)}`)] },
    { type: 'context', elements: [mrkdwn(`Round ${escapeMrkdwn(clip(view.roundId, 200))}${view.firstSeen ? ` · first seen ${slackDate(view.firstSeen)}` : ''} · one card per finding in this thread`)] },
  ];
  return { text: clip(`${title}: ${count} in round ${view.roundId}`, SLACK_LIMITS.fallback), blocks };
}

/** The requirement a copy failed, as the detector records it (runners/watermark/requirements.ts). */
const REQUIREMENT_WORDS: Record<string, string> = {
  'too short': 'too short', 'too small': 'picture too small', 'no video': 'no video', undecodable: 'cannot be decoded',
};

function detectionWords(detection: Record<string, unknown>): string {
  const confidence = numberOf(detection.confidence);
  const pct = confidence === undefined ? '' : ` (confidence ${(confidence * 100).toFixed(1)}%)`;
  if (detection.found === true) {
    const recipient = record(detection.recipient);
    const name = typeof detection.recipient === 'string' ? detection.recipient : typeof recipient?.name === 'string' ? recipient.name : undefined;
    const id = numberOf(detection.watermarkId);
    return `Watermark found: recipient *${escapeMrkdwn(name ?? 'unknown')}*${id === undefined ? '' : ` (watermark ID ${id})`}${pct}`;
  }
  if (typeof detection.requirement === 'string') return `The copy does not meet the detection requirements: ${REQUIREMENT_WORDS[detection.requirement] ?? escapeMrkdwn(detection.requirement)}`;
  if (confidence === undefined) return 'Detection ended without a result';
  // How close it came: the pilot's peak against the ~5 σ from which a mark reads.
  const pilot = numberOf(detection.pilotZ);
  return `No watermark found${pct}${pilot === undefined ? '' : `, pilot ${pilot.toFixed(1)} σ of the ~5 σ a mark needs`}`;
}

/**
 * The threaded reply for one status change that is a result people wait for, or undefined for a
 * step that is not (Downloading, Detecting): a detection result, a notice sent, a takedown
 * completed, failed or ignored, with who and when.
 */
export function resultReply(change: FindingChange, finding: Pick<Finding, 'evidence'>): string | undefined {
  if (change.from === change.to) return undefined;
  const by = `by ${actorText(change.actor)}, ${slackDate(change.at)}`;
  const why = change.reason ? ` — ${escapeMrkdwn(clip(change.reason, 500))}` : '';
  if (change.action === 'takedown-status') {
    switch (change.to) {
      case 'Takedown requested': return `:outbox_tray: Takedown requested ${by}`;
      case 'In Progress': return `:incoming_envelope: Takedown notice sent (In Progress) ${by}`;
      case 'Complete': return `:white_check_mark: Takedown complete: the link is down ${by}`;
      case 'Failed': return `:warning: Takedown failed ${by}${why}`;
      case 'Ignore': return `:see_no_evil: Ignored ${by}${why}`;
      default: return `Takedown ${change.from} → ${change.to} ${by}`;
    }
  }
  switch (change.to) {
    case 'Completed': {
      const detection = record(finding.evidence.detection);
      return `:mag: ${detection ? detectionWords(detection) : 'Detection completed'} ${by}`;
    }
    case 'Failed': {
      const detection = record(finding.evidence.detection);
      return `:mag: Detection failed: ${detection ? detectionWords(detection).replace(/^No/, 'no') : 'no watermark found'} ${by}`;
    }
    case 'Error': {
      const requirement = record(finding.evidence.detection)?.requirement;
      const unmet = typeof requirement === 'string' && REQUIREMENT_WORDS[requirement] ? `: the copy does not meet the detection requirements (${REQUIREMENT_WORDS[requirement]})` : ' with an error';
      return `:warning: Detection ended${unmet} ${by}${why}`;
    }
    case 'Canceled': return `Detection canceled ${by}${why}`;
    case 'Downloading': return change.from === 'Available' ? `:hourglass_flowing_sand: Detection started ${by}` : undefined;
    default: return undefined;
  }
}
