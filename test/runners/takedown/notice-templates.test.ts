import { describe, expect, it } from 'vitest';
import { composeNotice } from '../../../runners/takedown/notice.js';
import { NOTICE_TEMPLATES, type NoticeTemplate } from '../../../runners/takedown/templates/index.js';
import { contents, finding, policy, signedOn } from './notice-fixtures.js';

/** The placeholders the renderer fills in each sentence; any other {word} would reach a host unfilled. */
const PLACEHOLDERS: Partial<Record<keyof NoticeTemplate, string[]>> = {
  subject: ['works', 'count'],
  intro: ['principal'],
  workFilm: ['title', 'releaseDate'],
  workSeason: ['title', 'season', 'releaseDate'],
  workSeries: ['title', 'releaseDate'],
  localTitle: ['titles'],
  materialIntro: ['count'],
  itemPageTitle: ['pageTitle'],
  itemFirstSeen: ['firstSeen', 'host'],
  itemWork: ['title'],
};

function placeholdersIn(sentence: string): string[] {
  return [...sentence.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!).sort();
}

describe('notice templates', () => {
  for (const [key, template] of Object.entries(NOTICE_TEMPLATES)) {
    it(`${key}: names its own language and uses exactly the placeholders the renderer fills`, () => {
      expect(template.language).toBe(key);
      expect(template.dir).toBe(key === 'ar' ? 'rtl' : 'ltr');
      for (const [field, value] of Object.entries(template)) {
        if (typeof value !== 'string') continue;
        const expected = PLACEHOLDERS[field as keyof NoticeTemplate] ?? [];
        // The intro may name the principal twice (ko, ja, vi).
        expect(new Set(placeholdersIn(value)), `${key}.${field}`).toEqual(new Set(expected));
      }
      for (const label of Object.values(template.labels)) expect(label.trim()).not.toBe('');
      if (key !== 'en') expect(template.englishHeading).toContain('512(c)(3)');
    });

    it(`${key}: a rendered notice has no placeholder left unfilled`, () => {
      const host = { en: 'leaks.com', ko: 'a.kr', ja: 'a.jp', es: 'a.es', pt: 'a.pt', vi: 'a.vn', ar: 'a.eg' }[key] ?? 'leaks.com';
      const notice = composeNotice({
        to: 'abuse@example.com', policy: policy(), contents, date: signedOn,
        findings: [finding(`https://${host}/1`), finding(`https://${host}/2`, { contentId: 'harbor-lights' }), finding(`https://${host}/3`, { contentId: 'night-ferry' })],
      });
      expect(notice.language).toBe(key);
      for (const part of [notice.subject, notice.text, notice.html]) expect(part).not.toMatch(/\{\w+\}/);
      expect(notice.text).toContain(template.workSeries.replace('{title}', 'Night Ferry').replace('{releaseDate}', '2024-06-01'));
    });
  }
});
