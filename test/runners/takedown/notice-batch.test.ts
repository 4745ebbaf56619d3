import { describe, expect, it } from 'vitest';
import { batchNotices, DEFAULT_NOTICE_CAP, type ContactLinks } from '../../../runners/takedown/batch.js';
import type { Notice, NoticeFinding } from '../../../runners/takedown/notice.js';
import { contents, finding, policy, signedOn } from './notice-fixtures.js';
import { seededRandom } from '../../support/seeded-random.js';


function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const HOSTS = ['leaks.example.com', 'tvleak.kr', 'anime-dl.jp', 'aflam.sa', 'phim.vn', 'pelis.com.ar'];
const CONTACTS = ['abuse@host-a.example', 'abuse@host-b.example', 'dmca@cdn.example', 'Abuse@Host-A.example'];
const CONTENT_IDS = [...contents.keys()];

function randomContacts(next: () => number): ContactLinks[] {
  const contacts: ContactLinks[] = [];
  const count = 1 + Math.floor(next() * 5);
  for (let c = 0; c < count; c++) {
    const findings: NoticeFinding[] = [];
    const n = Math.floor(next() * 260);
    for (let i = 0; i < n; i++) {
      const host = HOSTS[Math.floor(next() * HOSTS.length)]!;
      // Few distinct paths, so some URLs repeat (a page leaking two titles, or found twice).
      const path = Math.floor(next() * 150);
      const title = next() < 0.1 ? `<b>${'長'.repeat(Math.floor(next() * 400))}</b>\r\n` : `Episode ${i}`;
      findings.push(finding(`https://${host}/v/${path}`, { contentId: CONTENT_IDS[Math.floor(next() * CONTENT_IDS.length)]!, pageTitle: title, firstSeen: new Date(Date.UTC(2026, 10, 1 + Math.floor(next() * 28))) }));
    }
    contacts.push({ to: CONTACTS[Math.floor(next() * CONTACTS.length)]!, findings });
  }
  return contacts;
}

function bytesOf(notice: Notice): number {
  return Buffer.byteLength(notice.text) + Buffer.byteLength(notice.html);
}

describe('batchNotices', () => {
  it('puts every finding, and every URL of a contact, in exactly one notice within the cap (random inputs)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const next = seededRandom(seed);
      const input = randomContacts(next);
      const cap = { maxUrls: 1 + Math.floor(next() * 120), maxBytes: 4_000 + Math.floor(next() * 120_000) };
      const notices = batchNotices(input, { policy: policy(), contents, date: signedOn, cap });
      const context = `seed ${seed}, cap ${JSON.stringify(cap)}`;

      const wantIds = input.flatMap((c) => c.findings.map((f) => f.id)).sort((a, b) => a - b);
      const gotIds = notices.flatMap((n) => n.findingIds).sort((a, b) => a - b);
      expect(gotIds, context).toEqual(wantIds);

      const wantPairs = new Set(input.flatMap((c) => c.findings.map((f) => `${c.to.toLowerCase()} ${new URL(f.url).href}`)));
      const gotPairs = notices.flatMap((n) => n.urls.map((url) => `${n.to} ${url}`));
      expect(new Set(gotPairs).size, `${context}: a URL listed twice`).toBe(gotPairs.length);
      expect(new Set(gotPairs), context).toEqual(wantPairs);

      for (const notice of notices) {
        expect(notice.urls.length, context).toBeLessThanOrEqual(cap.maxUrls);
        if (notice.urls.length > 1) expect(bytesOf(notice), context).toBeLessThanOrEqual(cap.maxBytes);
        expect(Object.values(notice.elements).every(Boolean), context).toBe(true);
      }

      // Deterministic: the same links in another order compose the same notices.
      const reordered = shuffled(input, next).map((c) => ({ ...c, findings: shuffled(c.findings, next) }));
      expect(batchNotices(reordered, { policy: policy(), contents, date: signedOn, cap }), context).toEqual(notices);
    }
  });

  it('sends one notice per contact while its links fit, listing them in code-point order', () => {
    const links = ['https://leaks.example.com/b', 'https://leaks.example.com/a', 'https://leaks.example.com/B'].map((url) => finding(url));
    const notices = batchNotices([{ to: 'abuse@host-b.example', findings: links }, { to: 'abuse@host-a.example', findings: [finding('https://leaks.example.com/z')] }], { policy: policy(), contents, date: signedOn });
    expect(notices.map((n) => n.to)).toEqual(['abuse@host-a.example', 'abuse@host-b.example']);
    expect(notices[1]!.urls).toEqual(['https://leaks.example.com/B', 'https://leaks.example.com/a', 'https://leaks.example.com/b']);
    expect(notices[1]!.subject).not.toMatch(/\(\d+\/\d+\)/);
  });

  it('caps a notice at 100 URLs by default and numbers the parts in the subject', () => {
    expect(DEFAULT_NOTICE_CAP.maxUrls).toBe(100);
    const links = Array.from({ length: 250 }, (_, i) => finding(`https://leaks.example.com/v/${String(i).padStart(3, '0')}`));
    const notices = batchNotices([{ to: 'abuse@host-a.example', findings: links }], { policy: policy(), contents, date: signedOn });
    expect(notices.map((n) => n.urls.length)).toEqual([100, 100, 50]);
    expect(notices.map((n) => n.subject.match(/\((\d)\/(\d)\)$/)?.slice(1))).toEqual([['1', '3'], ['2', '3'], ['3', '3']]);
    expect(notices.map((n) => n.part)).toEqual([{ index: 1, total: 3 }, { index: 2, total: 3 }, { index: 3, total: 3 }]);
    expect(notices[2]!.text).toContain('[50] https://leaks.example.com/v/249');
  });

  it('splits by size when the byte cap is reached before the URL cap', () => {
    const links = Array.from({ length: 40 }, (_, i) => finding(`https://leaks.example.com/v/${i}`, { pageTitle: 'x'.repeat(190) }));
    const notices = batchNotices([{ to: 'abuse@host-a.example', findings: links }], { policy: policy(), contents, date: signedOn, cap: { maxBytes: 12_000 } });
    expect(notices.length).toBeGreaterThan(1);
    for (const notice of notices) expect(bytesOf(notice)).toBeLessThanOrEqual(12_000);
    expect(notices.flatMap((n) => n.urls)).toHaveLength(40);
  });

  it('still sends a single URL bigger than the byte cap, alone', () => {
    const notices = batchNotices([{ to: 'abuse@host-a.example', findings: [finding(`https://leaks.example.com/${'a'.repeat(3000)}`), finding('https://leaks.example.com/b')] }], { policy: policy(), contents, date: signedOn, cap: { maxBytes: 2_000 } });
    expect(notices.map((n) => n.urls.length)).toEqual([1, 1]);
  });

  it('writes each contact in the language of its sites', () => {
    const notices = batchNotices([
      { to: 'abuse@kr-host.example', findings: [finding('https://tvleak.kr/1')] },
      { to: 'abuse@mixed.example', findings: [finding('https://tvleak.kr/2'), finding('https://anime-dl.jp/3')] },
      { to: 'abuse@site.example', siteLanguage: 'vi', findings: [finding('https://leaks.example.com/4')] },
    ], { policy: policy(), contents, date: signedOn });
    expect(notices.map((n) => [n.to, n.language])).toEqual([['abuse@kr-host.example', 'ko'], ['abuse@mixed.example', 'en'], ['abuse@site.example', 'vi']]);
  });

  it('merges a contact given twice in different case, and skips a contact with no open link', () => {
    const notices = batchNotices([
      { to: 'Abuse@Host-A.example', findings: [finding('https://leaks.example.com/1')] },
      { to: 'abuse@host-a.example', findings: [finding('https://leaks.example.com/2')] },
      { to: 'abuse@idle.example', findings: [] },
    ], { policy: policy(), contents, date: signedOn });
    expect(notices).toHaveLength(1);
    expect(notices[0]!.urls).toEqual(['https://leaks.example.com/1', 'https://leaks.example.com/2']);
  });

  it('refuses a cap below one URL', () => {
    expect(() => batchNotices([], { policy: policy(), contents, date: signedOn, cap: { maxUrls: 0 } })).toThrow(RangeError);
  });

  it('refuses the whole batch when the Policy has no notice sender', () => {
    expect(() => batchNotices([{ to: 'abuse@host-a.example', findings: [finding('https://leaks.example.com/1')] }], { policy: { spec: {} }, contents, date: signedOn })).toThrow(/spec\.noticeSender/);
  });
});
