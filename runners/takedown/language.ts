import { isNoticeLanguage, type NoticeLanguage } from './templates/index.js';

/**
 * Which language a notice is written in: the Site's own language when the catalog gives one and a
 * template exists, else the language of the host's country-code TLD, else English. A host staffed
 * in Seoul reads a Korean notice sooner; generic TLDs (.com, .to, .cc) say nothing about their
 * staff, so they get English, as does any language without a template.
 */

// Only where one language is what the site's staff most likely read; multilingual countries
// (.ca, .ch, .be, .in, …) are left to English, and so are ccTLDs sold as generic names (.co, .ly,
// .st, .tv, .to, .io). Note .ar is Argentina (Spanish), not Arabic.
const CCTLD_LANGUAGE: Readonly<Record<string, NoticeLanguage>> = {
  kr: 'ko', 'xn--3e0b707e': 'ko', // .한국
  jp: 'ja',
  vn: 'vi',
  br: 'pt', pt: 'pt', ao: 'pt', mz: 'pt', cv: 'pt', gw: 'pt', tl: 'pt',
  es: 'es', mx: 'es', ar: 'es', cl: 'es', pe: 'es', ve: 'es', ec: 'es', bo: 'es', py: 'es', uy: 'es',
  cr: 'es', pa: 'es', ni: 'es', hn: 'es', sv: 'es', gt: 'es', cu: 'es', do: 'es', pr: 'es',
  sa: 'ar', ae: 'ar', eg: 'ar', iq: 'ar', jo: 'ar', kw: 'ar', lb: 'ar', ma: 'ar', om: 'ar', qa: 'ar',
  sy: 'ar', tn: 'ar', ye: 'ar', bh: 'ar', dz: 'ar', sd: 'ar', ps: 'ar', mr: 'ar',
  'xn--mgberp4a5d4ar': 'ar', // .السعودية
  'xn--wgbh1c': 'ar', // .مصر
  'xn--mgbaam7a8h': 'ar', // .امارات
  'xn--mgbc0a9azcg': 'ar', // .المغرب
  'xn--ygbi2ammx': 'ar', // .فلسطين
};

/** A BCP 47 tag's template language ("pt-BR" → pt, "es-419" → es), if there is a template for it. */
export function templateLanguage(tag: string | undefined): NoticeLanguage | undefined {
  const primary = tag?.trim().toLowerCase().split(/[-_]/)[0];
  return primary !== undefined && isNoticeLanguage(primary) ? primary : undefined;
}

/** The language of a host's ccTLD (punycode or Unicode form), if it has one; IP literals have none. */
export function hostLanguage(host: string): NoticeLanguage | undefined {
  const name = host.trim().toLowerCase().replace(/\.$/, '');
  if (name.startsWith('[') || /^\d+(\.\d+){3}$/.test(name)) return undefined;
  const ascii = URL.canParse(`http://${name}/`) ? new URL(`http://${name}/`).hostname : name;
  const tld = ascii.split('.').pop() ?? '';
  return Object.hasOwn(CCTLD_LANGUAGE, tld) ? CCTLD_LANGUAGE[tld] : undefined;
}

/**
 * One notice's language, from the Site's language when given, else from its hosts: the language all
 * of them agree on (a hosting provider's notice covering a .kr and a .jp site is written in English).
 */
export function noticeLanguage(hint: { siteLanguage?: string; hosts: readonly string[] }): NoticeLanguage {
  const fromSite = templateLanguage(hint.siteLanguage);
  if (fromSite) return fromSite;
  const languages = new Set(hint.hosts.map((host) => hostLanguage(host) ?? 'en'));
  const [only] = languages;
  return languages.size === 1 && only !== undefined ? only : 'en';
}
