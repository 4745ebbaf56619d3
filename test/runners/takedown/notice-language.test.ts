import { describe, expect, it } from 'vitest';
import { hostLanguage, noticeLanguage, templateLanguage } from '../../../runners/takedown/language.js';

describe('noticeLanguage', () => {
  const byHost: [string, string][] = [
    ['tvleak.kr', 'ko'], ['video.co.kr', 'ko'], ['xn--hy1bv3co9b.xn--3e0b707e', 'ko'], ['드라마.한국', 'ko'],
    ['anime-dl.jp', 'ja'], ['phim.vn', 'vi'], ['filmes.com.br', 'pt'], ['series.pt', 'pt'],
    ['pelis.es', 'es'], ['pelis.mx', 'es'], ['pelis.com.ar', 'es'], ['cuevana.cl', 'es'],
    ['aflam.sa', 'ar'], ['egybest.eg', 'ar'], ['cinema.ae', 'ar'], ['shahid.ma', 'ar'],
    ['leaks.com', 'en'], ['streams.to', 'en'], ['short.ly', 'en'], ['movies.co', 'en'], ['files.de', 'en'], ['site.ca', 'en'],
    ['192.0.2.7', 'en'], ['[2001:db8::1]', 'en'], ['LEAKS.KR.', 'ko'],
  ];
  for (const [host, language] of byHost) {
    it(`writes to ${host} in ${language}`, () => {
      expect(noticeLanguage({ hosts: [host] })).toBe(language);
    });
  }

  it('reads .ar as Argentina (Spanish), not Arabic', () => {
    expect(hostLanguage('descargas.ar')).toBe('es');
  });

  it('takes the Site language over the ccTLD, by its primary subtag', () => {
    expect(noticeLanguage({ siteLanguage: 'ja-JP', hosts: ['tvleak.kr'] })).toBe('ja');
    expect(noticeLanguage({ siteLanguage: 'es-419', hosts: ['leaks.com'] })).toBe('es');
    expect(noticeLanguage({ siteLanguage: 'AR', hosts: ['leaks.com'] })).toBe('ar');
  });

  it('falls back to the ccTLD when the Site language has no template', () => {
    expect(templateLanguage('th')).toBeUndefined();
    expect(noticeLanguage({ siteLanguage: 'th', hosts: ['phim.vn'] })).toBe('vi');
    expect(noticeLanguage({ siteLanguage: 'th', hosts: ['leaks.com'] })).toBe('en');
  });

  it("writes in English to a contact whose hosts' languages differ, and in theirs when they agree", () => {
    expect(noticeLanguage({ hosts: ['tvleak.kr', 'anime-dl.jp'] })).toBe('en');
    expect(noticeLanguage({ hosts: ['tvleak.kr', 'video.co.kr'] })).toBe('ko');
    expect(noticeLanguage({ hosts: ['tvleak.kr', 'leaks.com'] })).toBe('en');
    expect(noticeLanguage({ hosts: [] })).toBe('en');
  });
});
