import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.js';
import { composeNotice, NOTICE_ELEMENTS, noticeElements, elementNeedles, draftModel, noticeDraft } from '../../../runners/takedown/notice.js';
import { NOTICE_LANGUAGES, NOTICE_TEMPLATES } from '../../../runners/takedown/templates/index.js';
import { contents, finding, policy, signedOn } from './notice-fixtures.js';

/**
 * Words each language's statements must carry, written here from the statute and its usual
 * translations, not copied from the templates: a template that drops "penalty of perjury" fails.
 */
const STATEMENT_WORDS: Record<string, { host: string; goodFaith: string[]; accuracy: string[] }> = {
  en: { host: 'leaks.example.com', goodFaith: ['good faith belief', 'not authorized by the copyright owner, its agent, or the law'], accuracy: ['accurate', 'under penalty of perjury', 'authorized to act on behalf of the owner'] },
  ko: { host: 'tvleak.kr', goodFaith: ['선의', '저작권자', '허락되지 않'], accuracy: ['정확', '위증', '대리할 권한'] },
  ja: { host: 'anime-dl.jp', goodFaith: ['誠実に信じ', '著作権者', '許可されていない'], accuracy: ['正確', '偽証', '代理する権限'] },
  es: { host: 'pelis.com.ar', goodFaith: ['buena fe', 'no está autorizado', 'titular de los derechos de autor'], accuracy: ['exacta', 'pena de perjurio', 'en nombre del titular'] },
  pt: { host: 'filmes.com.br', goodFaith: ['boa-fé', 'não está autorizado', 'titular dos direitos autorais'], accuracy: ['exatas', 'pena de perjúrio', 'em nome do titular'] },
  vi: { host: 'phim.vn', goodFaith: ['thiện chí', 'không được', 'chủ sở hữu quyền tác giả'], accuracy: ['chính xác', 'khai man', 'thay mặt chủ sở hữu'] },
  ar: { host: 'aflam.sa', goodFaith: ['بحسن نية', 'غير مصرَّح', 'مالك حقوق الطبع والنشر'], accuracy: ['دقيقة', 'الحنث باليمين', 'نيابةً عن مالك'] },
};

const ENGLISH_STATUTE = ['good faith belief that use of the material in the manner complained of is not authorized by the copyright owner, its agent, or the law', 'under penalty of perjury, I am authorized to act on behalf of the owner of an exclusive right that is allegedly infringed'];

function noticeFor(host: string, extra: Parameters<typeof policy>[0] = {}) {
  return composeNotice({
    to: `abuse@${host}`,
    policy: policy(extra),
    contents,
    findings: [finding(`https://${host}/watch/tide-line-2x01`), finding(`https://${host}/dl/harbor-lights.mkv`, { contentId: 'harbor-lights', pageTitle: 'Harbor Lights (2025) WEB-DL' })],
    date: signedOn,
  });
}

describe('composeNotice', () => {
  it('has a template for at least en, ko, ja, es, pt, vi and ar', () => {
    expect(NOTICE_LANGUAGES).toEqual(expect.arrayContaining(['en', 'ko', 'ja', 'es', 'pt', 'vi', 'ar']));
  });

  for (const [language, words] of Object.entries(STATEMENT_WORDS)) {
    it(`carries all six 512(c)(3) elements in ${language}, for a site on ${words.host}`, () => {
      const notice = noticeFor(words.host);
      expect(notice.language).toBe(language);
      expect(notice.elements).toEqual({ signature: true, works: true, material: true, contact: true, goodFaith: true, accuracy: true });
      for (const part of [notice.text, notice.html]) {
        // (i) signature, (iv) contact
        expect(part).toContain('/s/ Dana Reyes');
        for (const value of ['antipiracy@harborpictures.example', '1 Studio Way, Burbank, CA 91505', '+1 555 0100', 'Harbor Pictures Anti-Piracy']) expect(part).toContain(value);
        // (ii) the works, with release dates and the season
        for (const value of ['Tide Line', 'Harbor Lights', '2026-03-01', '2025-11-14']) expect(part).toContain(value);
        // (iii) every URL
        expect(part).toContain(`https://${words.host}/watch/tide-line-2x01`);
        expect(part).toContain(`https://${words.host}/dl/harbor-lights.mkv`);
        // (v), (vi) in the site's language
        for (const word of [...words.goodFaith, ...words.accuracy]) expect(part).toContain(word);
      }
      expect(notice.text).toMatch(/2026-11-30 09:15 UTC/);
      expect(notice.urls).toEqual([`https://${words.host}/dl/harbor-lights.mkv`, `https://${words.host}/watch/tide-line-2x01`]);
      expect(notice.works.map((work) => work.contentId)).toEqual(['harbor-lights', 'tide-line-s2']);
    });
  }

  for (const language of ['ko', 'ja', 'es', 'pt', 'vi', 'ar']) {
    it(`appends the English statutory statements after the ${language} ones`, () => {
      const notice = noticeFor(STATEMENT_WORDS[language]!.host);
      for (const sentence of ENGLISH_STATUTE) expect(notice.text).toContain(sentence);
      const local = notice.text.indexOf(STATEMENT_WORDS[language]!.accuracy[1]!);
      expect(local).toBeGreaterThan(0);
      expect(local).toBeLessThan(notice.text.indexOf(ENGLISH_STATUTE[0]!));
    });
  }

  it('writes the English notice once, without an appendix', () => {
    const notice = noticeFor('leaks.example.com');
    expect(notice.text.split(ENGLISH_STATUTE[0]!).length).toBe(2);
  });

  it('marks the Arabic HTML right to left and keeps URLs left to right inside it', () => {
    const notice = noticeFor('aflam.sa');
    expect(notice.dir).toBe('rtl');
    expect(notice.html).toMatch(/<html lang="ar" dir="rtl">/);
    expect(notice.html).toContain('<a href="https://aflam.sa/watch/tide-line-2x01" dir="ltr">');
    expect(notice.html).toMatch(/<div lang="en" dir="ltr">/);
    expect(noticeFor('tvleak.kr').html).toMatch(/<html lang="ko" dir="ltr">/);
  });

  it("names the work by its localized title in the notice's language as well", () => {
    expect(noticeFor('tvleak.kr').text).toContain('한국어 제목: 타이드 라인');
    expect(noticeFor('anime-dl.jp').subject).toContain('タイドライン');
    expect(noticeFor('leaks.example.com').text).not.toContain('타이드 라인');
  });

  it('identifies a season by its number and a film as a film', () => {
    const text = noticeFor('leaks.example.com').text;
    expect(text).toContain('Tide Line, season 2 (series, released 2026-03-01)');
    expect(text).toContain('Harbor Lights (film, released 2025-11-14)');
  });

  it('follows the Site language when the catalog gives one, over the ccTLD', () => {
    const notice = composeNotice({ to: 'abuse@host.example', policy: policy(), contents, findings: [finding('https://tvleak.kr/1')], siteLanguage: 'pt-BR', date: signedOn });
    expect(notice.language).toBe('pt');
    expect(notice.text).toContain('boa-fé');
  });

  it('lists a URL leaking two titles once, with both works and both findings', () => {
    const a = finding('https://leaks.example.com/pack');
    const b = finding('https://leaks.example.com/pack', { contentId: 'harbor-lights' });
    const notice = composeNotice({ to: 'abuse@example.com', policy: policy(), contents, findings: [b, a], date: signedOn });
    expect(notice.urls).toEqual(['https://leaks.example.com/pack']);
    expect(notice.findingIds).toEqual([a.id, b.id].sort((x, y) => x - y));
    expect(notice.text).toContain('work: Harbor Lights; Tide Line');
  });

  it('signs with the sender when the Policy names no organization', () => {
    const notice = composeNotice({ to: 'abuse@example.com', policy: policy({ organization: undefined }), contents, findings: [finding('https://leaks.example.com/a')], date: signedOn });
    expect(notice.text).toContain('on behalf of Dana Reyes,');
    expect(notice.text).not.toContain('Organization:');
  });
});

describe('refusals', () => {
  it('refuses a Policy without a notice sender, naming the field to add', () => {
    const attempt = () => composeNotice({ to: 'abuse@example.com', policy: { id: 'default', file: 'policy.yaml', spec: {} }, contents, findings: [finding('https://leaks.example.com/a')], date: signedOn });
    expect(attempt).toThrow(/spec\.noticeSender with name and email/);
    try {
      attempt();
      expect.unreachable();
    } catch (error) {
      expect(isVigilError(error, 'NOTICE_SENDER_MISSING')).toBe(true);
      expect((error as Error).message).toContain('Policy "default" (policy.yaml)');
      expect((error as { code: string }).code).toBe('VIGIL-E0501');
    }
  });

  it('refuses a sender with a blank e-mail', () => {
    expect(() => composeNotice({ to: 'abuse@example.com', policy: policy({ email: '  ' }), contents, findings: [finding('https://leaks.example.com/a')], date: signedOn })).toThrow(/no spec\.noticeSender\.email/);
  });

  for (const language of ['en', 'ko', 'ar']) {
    it(`refuses a ${language} notice without the sender's postal address (element iv), saying what to add`, () => {
      const attempt = () => noticeFor(STATEMENT_WORDS[language]!.host, { address: undefined });
      expect(attempt).toThrow(/\(iv\) the contact information of the complaining party: add spec\.noticeSender\.address/);
      try {
        attempt();
      } catch (error) {
        expect(isVigilError(error, 'NOTICE_INCOMPLETE')).toBe(true);
      }
    });
  }

  it('refuses a notice that lists no finding (elements ii and iii)', () => {
    expect(() => composeNotice({ to: 'abuse@example.com', policy: policy(), contents, findings: [], date: signedOn })).toThrow(/\(iii\) the infringing material/);
  });
});

describe('noticeElements', () => {
  const draft = noticeDraft({ to: 'abuse@tvleak.kr', policy: policy(), contents, findings: [finding('https://tvleak.kr/a')] });
  const model = draftModel(draft, draft.items, signedOn);
  const needles = elementNeedles(draft.template, model);
  const notice = composeNotice({ to: 'abuse@tvleak.kr', policy: policy(), contents, findings: [finding('https://tvleak.kr/a')], date: signedOn });

  const cases: [string, string, (typeof NOTICE_ELEMENTS)[number]][] = [
    ['the Korean good-faith statement', NOTICE_TEMPLATES.ko.goodFaith, 'goodFaith'],
    ['the English good-faith statement appended', NOTICE_TEMPLATES.en.goodFaith, 'goodFaith'],
    ['the Korean accuracy statement', NOTICE_TEMPLATES.ko.accuracy, 'accuracy'],
    ['the signature', '/s/ Dana Reyes', 'signature'],
    ['the URL', 'https://tvleak.kr/a', 'material'],
    ['the e-mail', 'antipiracy@harborpictures.example', 'contact'],
    ['the work', 'Tide Line', 'works'],
  ];
  for (const [what, sentence, element] of cases) {
    it(`finds ${element} missing when ${what} is cut from the text`, () => {
      const cut = { text: notice.text.split(sentence).join(''), html: notice.html };
      const elements = noticeElements(cut, needles);
      expect(elements[element]).toBe(false);
      expect(NOTICE_ELEMENTS.filter((e) => !elements[e])).toEqual([element]);
    });
  }

  it('does not take a URL for listed when only a longer one that starts with it is', () => {
    const two = composeNotice({ to: 'abuse@tvleak.kr', policy: policy(), contents, findings: [finding('https://tvleak.kr/v/1'), finding('https://tvleak.kr/v/10')], date: signedOn });
    const cut = { text: two.text.replace(/^\[1\] https:\/\/tvleak\.kr\/v\/1$/m, '[1]'), html: two.html.replace('href="https://tvleak.kr/v/1"', 'href="#"') };
    expect(cut.text).toContain('https://tvleak.kr/v/10');
    const twoDraft = noticeDraft({ to: 'abuse@tvleak.kr', policy: policy(), contents, findings: [finding('https://tvleak.kr/v/1'), finding('https://tvleak.kr/v/10')] });
    expect(noticeElements(cut, elementNeedles(twoDraft.template, draftModel(twoDraft, twoDraft.items, signedOn))).material).toBe(false);
  });

  it('finds an element missing from the HTML part alone', () => {
    const cut = { text: notice.text, html: notice.html.split(NOTICE_TEMPLATES.ko.accuracy).join('') };
    expect(noticeElements(cut, needles).accuracy).toBe(false);
  });

  it('finds all six in the notice as composed', () => {
    expect(noticeElements(notice, needles)).toEqual(notice.elements);
    expect(Object.values(notice.elements).every(Boolean)).toBe(true);
  });
});
