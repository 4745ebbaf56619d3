/**
 * A notice template is data: the sentences of one language with {placeholders} that the one renderer
 * (../render.ts) fills. The two statutory statements (goodFaith, accuracy) take no placeholder, so a
 * check can find them word for word in a rendered notice.
 *
 * Placeholders: {works} {count} in subject; {principal} in intro; {title} {season} {releaseDate} in
 * the work lines; {titles} in localTitle; {count} in materialIntro; {pageTitle}, {firstSeen} {host},
 * {title} in the item lines.
 */
export interface NoticeTemplate {
  language: string;
  /** The language's name in itself, for a reviewer's list. */
  name: string;
  dir: 'ltr' | 'rtl';
  subject: string;
  salutation: string;
  intro: string;
  worksHeading: string;
  workFilm: string;
  workSeason: string;
  /** A season-type Content without a season number. */
  workSeries: string;
  /** The Content's localized title in this language, when the catalog has one. */
  localTitle: string;
  materialHeading: string;
  materialIntro: string;
  itemPageTitle: string;
  itemFirstSeen: string;
  /** Shown under each URL only when the notice names more than one work. */
  itemWork: string;
  request: string;
  statementsHeading: string;
  /** 17 U.S.C. 512(c)(3)(A)(v). */
  goodFaith: string;
  /** 17 U.S.C. 512(c)(3)(A)(vi). */
  accuracy: string;
  /** Heads the English statutory text appended to a notice in another language. */
  englishHeading: string;
  contactHeading: string;
  labels: { name: string; organization: string; address: string; phone: string; email: string; signature: string; date: string };
  closing: string;
}
