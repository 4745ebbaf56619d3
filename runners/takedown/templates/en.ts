import type { NoticeTemplate } from './template.js';

// The statements follow the words of 17 U.S.C. 512(c)(3)(A)(v) and (vi); every other template appends them.
export const en: NoticeTemplate = {
  language: 'en',
  name: 'English',
  dir: 'ltr',
  subject: 'Notice of copyright infringement (DMCA) – {works} – URLs: {count}',
  salutation: 'Dear Copyright Agent,',
  intro: 'I am writing on behalf of {principal}, the owner of the exclusive rights in the works identified below or authorized to enforce them. Your service makes these works available without the authorization of the rights holder.',
  worksHeading: '1. Copyrighted works infringed',
  workFilm: '{title} (film, released {releaseDate})',
  workSeason: '{title}, season {season} (series, released {releaseDate})',
  workSeries: '{title} (series, released {releaseDate})',
  localTitle: 'English title: {titles}',
  materialHeading: '2. Infringing material and where it is',
  materialIntro: 'URLs that make the works above available without authorization ({count}):',
  itemPageTitle: 'page title: {pageTitle}',
  itemFirstSeen: 'first seen: {firstSeen} ({host})',
  itemWork: 'work: {title}',
  request: '3. Please remove or disable access to this material expeditiously.',
  statementsHeading: '4. Statements',
  goodFaith: 'I have a good faith belief that use of the material in the manner complained of is not authorized by the copyright owner, its agent, or the law.',
  accuracy: 'The information in this notification is accurate, and under penalty of perjury, I am authorized to act on behalf of the owner of an exclusive right that is allegedly infringed.',
  englishHeading: '',
  contactHeading: '5. Contact information of the complaining party',
  labels: { name: 'Name', organization: 'Organization', address: 'Address', phone: 'Phone', email: 'E-mail', signature: 'Signature', date: 'Date' },
  closing: 'Sincerely,',
};
