import { ar } from './ar.js';
import { en } from './en.js';
import { es } from './es.js';
import { ja } from './ja.js';
import { ko } from './ko.js';
import { pt } from './pt.js';
import type { NoticeTemplate } from './template.js';
import { vi } from './vi.js';

export type { NoticeTemplate } from './template.js';

/** The languages a notice can be written in; a new one is a new file here and a line below. */
export const NOTICE_TEMPLATES = { en, ko, ja, es, pt, vi, ar } as const satisfies Record<string, NoticeTemplate>;

export type NoticeLanguage = keyof typeof NOTICE_TEMPLATES;

export const NOTICE_LANGUAGES = Object.keys(NOTICE_TEMPLATES) as NoticeLanguage[];

export function isNoticeLanguage(value: string): value is NoticeLanguage {
  return Object.hasOwn(NOTICE_TEMPLATES, value);
}
