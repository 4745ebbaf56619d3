import { describe, expect, it } from 'vitest';
import type { CardView, FindingChange } from '../../../core/db/chat-cards.js';
import type { Finding } from '../../../core/db/findings.js';
import { ACTION_IDS, decodeFindingButton } from '../../../bot/slack/action-ids.js';
import type { FindingCardView } from '../../../bot/slack/card-view.js';
import { findingCard, offeredActions, resultReply, roundSummary, SLACK_LIMITS } from '../../../bot/slack/card.js';

function finding(over: Partial<Finding> = {}): Finding {
  return {
    id: 42, contentId: 'moonlit', monitoringJobId: 'moonlit-watch', url: 'https://streamfree.to/watch/moonlit-3', normalizedUrl: 'streamfree.to/watch/moonlit-3',
    host: 'streamfree.to', siteId: 'streamfree', family: 'streamfree', pageTitle: 'Moonlit Harbor EP3', source: 'web', score: 12, matchDistance: 0.081,
    evidence: {
      phase1: { episodes: [3] },
      phase2: { kind: 'video', media: 'https://cdn.streamfree.to/m3.mp4', matchedTimes: [{ from: 12, to: 75, referenceFrom: 612, referenceTo: 675 }], thumbnail: 'https://cdn.example.com/thumb.jpg' },
      hop: { host: 'streamfree.to', via: 'streamfree.cc', confidence: 0.9 },
    },
    takedownStatus: 'Available', detectionStatus: 'Available', firstSeen: new Date('2026-03-07T01:00:00Z'), lastSeen: new Date('2026-03-07T01:00:00Z'),
    rounds: 1, version: 3, roundId: 'r1', ...over,
  };
}

const watermarked: CardView['content'] = { id: 'moonlit', title: 'Moonlit Harbor', season: 1, watermarked: true };
const plainContent: CardView['content'] = { id: 'orchard', title: 'The Iron Orchard', watermarked: false };
const view = (f: Partial<Finding> = {}, content = watermarked, lastChange?: FindingChange): FindingCardView => ({ finding: finding(f), content, auditId: 7, ...(lastChange ? { lastChange } : {}) });

type Block = { type: string; elements?: { action_id?: string; value?: string; confirm?: { title: { text: string }; text: { text: string } }; text?: unknown }[]; text?: { text: string }; fields?: { text: string }[]; image_url?: string };
const blocks = (v: CardView): Block[] => findingCard(v).blocks as unknown as Block[];
const buttons = (v: CardView) => blocks(v).find((b) => b.type === 'actions')?.elements ?? [];
const allText = (v: FindingCardView): string => JSON.stringify(findingCard(v));

describe('finding card rendering', () => {
  it('shows the title with season and episode, the link, site, family, hop, first seen, evidence and thumbnail', () => {
    const v = view();
    const text = allText(v);
    expect(blocks(v)[0]!.text!.text).toBe('Moonlit Harbor S01E03 — finding #42');
    expect(text).toContain('<https://streamfree.to/watch/moonlit-3|');
    expect(text).toContain('streamfree.cc');
    expect(text).toContain('match distance 0.081');
    expect(text).toContain('0:12–1:15 (original 10:12–11:15)');
    expect(text).toContain('<!date^1772845200^');
    expect(blocks(v).find((b) => b.type === 'image')?.image_url).toBe('https://cdn.example.com/thumb.jpg');
    expect(findingCard(v).text).toContain('Moonlit Harbor S01E03');
  });

  it('puts a confirm dialog on every button, and the card version in every button value', () => {
    for (const v of [view(), view({}, plainContent), view({ takedownStatus: 'Failed', detectionStatus: 'Completed' })]) {
      const list = buttons(v);
      expect(list.length).toBeGreaterThan(0);
      for (const b of list) {
        expect(b.confirm?.title.text).toBeTruthy();
        expect(decodeFindingButton(b.value)).toEqual({ findingId: 42, version: 3 });
      }
    }
  });

  it('asks for an explicit override to take down watermarked content before detection completed', () => {
    const before = buttons(view({ detectionStatus: 'Available' }));
    const takedown = before.find((b) => b.action_id === ACTION_IDS.takedownOverride);
    expect(takedown?.confirm?.text.text).toMatch(/destroys the copy detection needs/);
    expect(takedown?.confirm?.text.text).toMatch(/Override/);
    expect(before.some((b) => b.action_id === ACTION_IDS.takedown)).toBe(false);
    const after = buttons(view({ detectionStatus: 'Completed' }));
    expect(after.map((b) => b.action_id)).toEqual([ACTION_IDS.takedown, ACTION_IDS.ignore, ACTION_IDS.evidence]);
    expect(buttons(view({}, plainContent)).map((b) => b.action_id)).toEqual([ACTION_IDS.takedown, ACTION_IDS.ignore, ACTION_IDS.evidence]);
  });

  it('offers Detect only for watermarked content whose link is up and whose detection is neither running nor done', () => {
    expect(offeredActions({ id: 1, version: 1, takedownStatus: 'Available', detectionStatus: 'Available' }, { watermarked: true })).toContain('detect');
    expect(offeredActions({ id: 1, version: 1, takedownStatus: 'Ignore', detectionStatus: 'Failed' }, { watermarked: true })).toContain('detect');
    expect(offeredActions({ id: 1, version: 1, takedownStatus: 'Available', detectionStatus: 'Not Available' }, { watermarked: false })).not.toContain('detect');
    expect(offeredActions({ id: 1, version: 1, takedownStatus: 'Complete', detectionStatus: 'Available' }, { watermarked: true })).not.toContain('detect');
    expect(offeredActions({ id: 1, version: 1, takedownStatus: 'In Progress', detectionStatus: 'Available' }, { watermarked: true })).toEqual(['detect']);
    expect(offeredActions({ id: 1, version: 1, takedownStatus: 'Available', detectionStatus: 'Detecting' }, { watermarked: true })).not.toContain('detect');
    expect(offeredActions({ id: 1, version: 1, takedownStatus: 'Available', detectionStatus: 'Completed' }, { watermarked: true })).not.toContain('detect');
  });

  it('offers no button that can no longer act after a takedown completed or a finding was ignored, only Evidence', () => {
    expect(buttons(view({ takedownStatus: 'Complete', detectionStatus: 'Completed' })).map((b) => b.action_id)).toEqual([ACTION_IDS.evidence]);
    expect(buttons(view({ takedownStatus: 'Complete' })).map((b) => b.action_id)).toEqual([ACTION_IDS.evidence]);
    expect(offeredActions({ id: 1, version: 1, takedownStatus: 'Ignore', detectionStatus: 'Completed' }, { watermarked: true })).toEqual([]);
    expect(offeredActions({ id: 1, version: 1, takedownStatus: 'In Progress', detectionStatus: 'Not Available' }, { watermarked: false })).toEqual([]);
  });

  it('says who acted last and when, as a Slack mention', () => {
    const change: FindingChange = { auditId: 7, at: new Date('2026-03-08T10:00:00Z'), actor: 'slack:U0ALICE1', action: 'takedown-status', from: 'Available', to: 'In Progress', reason: '', details: {} };
    expect(allText(view({ takedownStatus: 'In Progress' }, watermarked, change))).toContain('by <@U0ALICE1>');
  });

  it('stays inside Slack\'s limits for a huge title, URL and evidence', () => {
    const long = 'x'.repeat(5000);
    const v = view({
      url: `https://streamfree.to/${long}`, pageTitle: long, siteId: long, family: long,
      evidence: { phase2: { matchedTimes: Array.from({ length: 500 }, (_, i) => ({ from: i, to: i + 1 })), matchedPages: Array.from({ length: 500 }, (_, i) => ({ page: i })) } },
    }, { ...watermarked, title: long });
    const card = findingCard(v);
    expect(card.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(card.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallback);
    const texts: string[] = [];
    const walk = (node: unknown, key = ''): void => {
      if (typeof node === 'string' && key === 'text') texts.push(node);
      else if (Array.isArray(node)) node.forEach((n) => walk(n));
      else if (node && typeof node === 'object') for (const [k, n] of Object.entries(node)) walk(n, k);
    };
    walk(card.blocks);
    for (const t of texts) expect([...t].length).toBeLessThanOrEqual(SLACK_LIMITS.text);
    expect((card.blocks[0] as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.header);
    for (const b of buttons(v)) expect(b.value!.length).toBeLessThanOrEqual(SLACK_LIMITS.buttonValue);
  });

  it('shows the latest notice (to whom, via which channel, when) and a counter-notice\'s restore window, and nothing of them before there are any', () => {
    const at = new Date('2026-03-08T09:30:00Z');
    expect(allText(view())).not.toContain('Notice #');
    expect(allText(view())).not.toContain('Counter-notice');
    const sent = allText({ ...view({ takedownStatus: 'In Progress' }), notice: { id: 5, contact: 'abuse@streamfree.to', channel: 'smtp', status: 'sent', at } });
    expect(sent).toContain('Notice #5 sent to abuse@streamfree.to by e-mail, <!date^1772962200^');
    const form = allText({ ...view({ takedownStatus: 'In Progress' }), notice: { id: 6, contact: 'https://streamfree.to/dmca?a=1&b=<2>', channel: 'form', status: 'sent', at } });
    expect(form).toContain('Notice #6 prepared <!date^1772962200^');
    expect(form).toContain('for the web form at https://streamfree.to/dmca?a=1&amp;b=&lt;2&gt;: a person pastes it');
    const failed = allText({ ...view({ takedownStatus: 'Failed' }), notice: { id: 7, contact: 'abuse@streamfree.to', channel: 'smtp', status: 'failed', at, reason: '550 no such user' } });
    expect(failed).toContain('Notice #7 to abuse@streamfree.to by e-mail not delivered: 550 no such user');
    const countered = allText({
      ...view({ takedownStatus: 'Complete' }),
      counterNotice: { id: 1, findingId: 42, receivedOn: '2026-03-10', from: 'Uploader <x@y>', note: null, restoreEarliest: '2026-03-24', restoreLatest: '2026-03-30', recordedAt: at, recordedBy: 'cli' },
    });
    expect(countered).toContain('Counter-notice received 2026-03-10 from Uploader &lt;x@y&gt;: the link may be restored from 2026-03-24 and must be by 2026-03-30');
  });

  it('escapes Slack markup in what pirate pages write', () => {
    const text = allText(view({ pageTitle: '<!channel> & <@U123>' }));
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;@U123&gt;');
    expect(text).not.toContain('<!channel>');
  });
});

describe('round summary and result replies', () => {
  it('summarises a round: title, count and counts by status', () => {
    const s = roundSummary({ content: watermarked, roundId: 'monitor-2026-03-07', count: 37, firstSeen: new Date('2026-03-07T01:00:00Z'), takedown: { Available: 30, 'In Progress': 7 }, detection: { Available: 37 }, revision: 3 });
    const text = JSON.stringify(s);
    expect(text).toContain('Moonlit Harbor S01 — 37 findings');
    expect(text).toContain('Available 30 · In Progress 7');
    expect(s.text).toContain('37 findings');
  });

  const change = (over: Partial<FindingChange>): FindingChange => ({ auditId: 1, at: new Date('2026-03-08T10:00:00Z'), actor: 'slack:U0BOB001', action: 'takedown-status', from: 'Available', to: 'In Progress', reason: 'notice sent', details: {}, ...over });

  it('replies with a detection result: Completed names the recipient, Failed says how close it came, Error the requirement unmet', () => {
    const found = resultReply(change({ action: 'detection-status', from: 'Detecting', to: 'Completed', actor: 'detector' }), { evidence: { detection: { found: true, watermarkId: 17, recipient: { name: 'netflix-kr' }, confidence: 0.987 } } });
    expect(found).toContain('recipient *netflix-kr* (watermark ID 17) (confidence 98.7%)');
    const none = resultReply(change({ action: 'detection-status', from: 'Detecting', to: 'Failed', actor: 'detector' }), { evidence: { detection: { found: false, confidence: 0.2, pilotZ: 2.31 } } });
    expect(none).toContain('Detection failed: no watermark found (confidence 20.0%), pilot 2.3 σ of the ~5 σ a mark needs');
    const short = resultReply(change({ action: 'detection-status', from: 'Downloading', to: 'Error', actor: 'detector', reason: 'VIGIL-E0409: 5.0 s long' }), { evidence: { detection: { found: false, requirement: 'too short' } } });
    expect(short).toContain('Detection ended: the copy does not meet the detection requirements (too short)');
    expect(short).toContain('VIGIL-E0409: 5.0 s long');
    const refused = resultReply(change({ action: 'detection-status', from: 'Downloading', to: 'Error', actor: 'detector', reason: 'VIGIL-E0406: the HLS playlist loops' }), { evidence: { detection: { found: false } } });
    expect(refused).toContain('Detection ended with an error');
    expect(resultReply(change({ action: 'detection-status', from: 'Downloading', to: 'Detecting' }), { evidence: {} })).toBeUndefined();
  });

  it('replies to takedown changes with who and when', () => {
    expect(resultReply(change({}), { evidence: {} })).toMatch(/notice sent \(In Progress\) by <@U0BOB001>, <!date\^/);
    expect(resultReply(change({ from: 'In Progress', to: 'Complete', actor: 'takedown' }), { evidence: {} })).toContain('Takedown complete');
    expect(resultReply(change({ from: 'In Progress', to: 'Failed', reason: 'host refused' }), { evidence: {} })).toContain('host refused');
    expect(resultReply(change({ to: 'Ignore', reason: 'licensed' }), { evidence: {} })).toContain('Ignored by <@U0BOB001>');
    expect(resultReply(change({ from: 'Ignore', to: 'Ignore' }), { evidence: {} })).toBeUndefined();
  });
});
