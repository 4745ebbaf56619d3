import { isVigilError } from '../../core/errors.js';
import { parseFindingFilters, type FindingFilterInput } from '../../core/finding-filters.js';

/**
 * `/vigil …` as people type it, read without I/O: words split like a shell (quotes keep "Iron
 * Orchard" one word; Slack's and phones' curly quotes count), Slack's link markup unwrapped
 * (<https://x|x> is https://x), subcommands in any case. The result is a command or the usage of
 * the subcommand that was meant, with what was wrong: never an exception.
 */

export const SUBCOMMANDS = ['help', 'status', 'findings', 'takedown', 'ignore', 'detect', 'review', 'report', 'register'] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

export type VigilCommand =
  | { name: 'help' }
  | { name: 'status' }
  | { name: 'findings'; filters: FindingFilterInput }
  | { name: 'takedown'; findingId: number; override: boolean }
  | { name: 'ignore' | 'detect'; findingId: number }
  | { name: 'detect'; url: string }
  | { name: 'review' }
  | { name: 'report'; url: string; note: string }
  | { name: 'register' };

export interface CommandError {
  /** The subcommand whose usage is shown; undefined when none could be told (help is shown). */
  subcommand: Subcommand | undefined;
  message: string;
}

export type ParsedCommand = { ok: true; command: VigilCommand } | { ok: false; error: CommandError };

export const USAGES: Readonly<Record<Subcommand, string>> = {
  help: '`/vigil help` — what the bot can do.',
  status: '`/vigil status` — monitoring jobs, recipients, the last reconciliations and the open findings.',
  findings: '`/vigil findings [TITLE] [--from yyyy-MM-dd] [--to yyyy-MM-dd] [--tz ZONE] [--link URL | --host HOST] [--takedown STATUS]… [--detection STATUS]… [--family F] [--content ID]`'
    + ' — findings, newest first, a page at a time. Quote a title or status of several words: `/vigil findings "Iron Orchard" --takedown "in progress"`.',
  takedown: '`/vigil takedown ID [--override]` — ask to take down finding ID (e.g. `/vigil takedown 42`); `--override` takes down watermarked content before detection completed, destroying the copy detection needs.',
  ignore: '`/vigil ignore ID` — mark finding ID as ignored (e.g. `/vigil ignore 42`).',
  detect: '`/vigil detect ID` or `/vigil detect URL` — watermark detection on a finding, or on a link monitoring did not find.',
  review: '`/vigil review` — the review queue: suspects to confirm or reject, strongest first.',
  report: '`/vigil report URL [note]` — report a pirate link; it joins the review queue with your name on it.',
  register: '`/vigil register` — a form for a new title and its monitoring; it opens a catalog pull request.',
};

export function helpText(): string {
  return ['*Vigil* — what you can ask:', ...SUBCOMMANDS.map((s) => `• ${USAGES[s]}`)].join('\n');
}

/** The usage shown for a mistake: what was wrong, then how the subcommand is written (or every subcommand). */
export function usageText(error: CommandError): string {
  return `${error.message}\n${error.subcommand ? `Usage: ${USAGES[error.subcommand]}` : helpText()}`;
}

/** Slack's markup for links, mailto, channels and users: <https://x|label> → https://x; <@U1> → U1's mention stays as is. */
function unwrapLinks(text: string): string {
  return text.replace(/<((?:https?|mailto):[^|>\s]+)(?:\|[^>]*)?>/gi, '$1');
}

/** Curly quotes (Slack on phones and macOS) and a dash autocorrected from "--" read as what was meant. */
function plainPunctuation(text: string): string {
  return text.replace(/[\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB]/g, '"').replace(/[\u2018\u2019\u201A\u201B\u2032]/g, "'").replace(/(^|\s)[\u2013\u2014\u2212](?=\S)/g, '$1--').replace(/\u00A0/g, ' ');
}

/** Words as a shell splits them: quotes group, a backslash escapes; an unclosed quote is an error. */
export function splitWords(text: string): string[] | { unclosed: string } {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && (text[i + 1] === '"' || text[i + 1] === '\\')) current += text[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      // An apostrophe inside a word ("Ocean's") is a letter, not a quote.
      if (ch === "'" && inWord && /\w/.test(text[i + 1] ?? '')) current += ch;
      else { quote = ch; inWord = true; }
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) return { unclosed: quote };
  if (inWord) words.push(current);
  return words;
}

function fail(subcommand: Subcommand | undefined, message: string): ParsedCommand {
  return { ok: false, error: { subcommand, message } };
}

/** Edit distance, to suggest "findings" for "finidngs". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Aliases people reach for. */
const ALIASES: Readonly<Record<string, Subcommand>> = { '?': 'help', '-h': 'help', '--help': 'help', 'take-down': 'takedown', list: 'findings', finding: 'findings' };

/** A finding id as typed: 42, #42 or finding-42. */
function findingId(word: string | undefined): number | undefined {
  const match = word === undefined ? null : /^(?:#|finding-?)?(\d{1,15})$/i.exec(word.trim());
  const id = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

function isLink(word: string): boolean {
  return /^https?:\/\//i.test(word);
}

const MULTIPLE = new Set(['takedown', 'detection']);
const OPTIONS = new Set(['title', 'from', 'to', 'tz', 'link', 'host', 'takedown', 'detection', 'family', 'content']);

function parseFindings(words: readonly string[]): ParsedCommand {
  const filters: { -readonly [K in keyof FindingFilterInput]: FindingFilterInput[K] } = {};
  const multiple: Record<'takedown' | 'detection', string[]> = { takedown: [], detection: [] };
  const title: string[] = [];
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i]!;
    if (!word.startsWith('--')) {
      title.push(word);
      continue;
    }
    const [rawName, inline] = word.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const name = rawName.toLowerCase();
    if (!OPTIONS.has(name)) return fail('findings', `\`--${rawName}\` is not a findings filter; the filters are ${[...OPTIONS].map((o) => `--${o}`).join(', ')}.`);
    const value = inline ?? words[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) return fail('findings', `\`--${name}\` needs a value.`);
    if (MULTIPLE.has(name)) multiple[name as 'takedown' | 'detection'].push(value);
    else if (name === 'host') {
      if (filters.link !== undefined) return fail('findings', 'give one of `--link` or `--host`, once.');
      filters.link = value.replace(/^https?:\/\//i, '').replace(/\/.*$/s, '');
    } else {
      const key = name as 'title' | 'from' | 'to' | 'tz' | 'link' | 'family' | 'content';
      if (filters[key] !== undefined) return fail('findings', `\`--${name}\` was given twice.`);
      filters[key] = value;
    }
  }
  if (title.length > 0) {
    if (filters.title !== undefined) return fail('findings', 'give the title once: as words or as `--title`.');
    filters.title = title.join(' ');
  }
  if (multiple.takedown.length) filters.takedown = multiple.takedown;
  if (multiple.detection.length) filters.detection = multiple.detection;
  try {
    parseFindingFilters(filters);
  } catch (error) {
    if (isVigilError(error)) return fail('findings', error.message);
    throw error;
  }
  return { ok: true, command: { name: 'findings', filters } };
}

/** Reads the text after `/vigil`. */
export function parseCommandText(raw: string): ParsedCommand {
  const words = splitWords(plainPunctuation(unwrapLinks(raw)));
  if (!Array.isArray(words)) return fail(undefined, `a ${words.unclosed === '"' ? 'double' : 'single'} quote is not closed.`);
  const [first, ...rest] = words;
  if (first === undefined) return { ok: true, command: { name: 'help' } };
  const typed = first.toLowerCase();
  const name = (SUBCOMMANDS as readonly string[]).includes(typed) ? (typed as Subcommand) : ALIASES[typed];
  if (name === undefined) {
    const near = SUBCOMMANDS.filter((s) => distance(s, typed) <= 2);
    return fail(undefined, `\`${first}\` is not something Vigil knows${near.length ? ` (did you mean \`${near.join('` or `')}\`?)` : ''}.`);
  }
  switch (name) {
    case 'help':
    case 'status':
    case 'review':
    case 'register':
      return rest.length === 0 ? { ok: true, command: { name } } : fail(name, `\`${name}\` takes nothing after it (got ${JSON.stringify(rest.join(' '))}).`);
    case 'findings':
      return parseFindings(rest);
    case 'takedown':
    case 'ignore':
    case 'detect': {
      const override = name === 'takedown' && rest.some((w) => w.toLowerCase() === '--override');
      const words = override ? rest.filter((w) => w.toLowerCase() !== '--override') : rest;
      if (words.length === 0) return fail(name, `\`${name}\` needs ${name === 'detect' ? 'a finding ID or a link' : 'a finding ID'}.`);
      if (words.length > 1) return fail(name, `\`${name}\` takes one ${name === 'detect' ? 'finding ID or link' : 'finding ID'}, not ${words.length} words.`);
      const word = words[0]!;
      if (name === 'detect' && isLink(word)) return { ok: true, command: { name, url: word } };
      const id = findingId(word);
      if (id === undefined) return fail(name, `\`${word}\` is not a finding ID: give the number shown as #ID (e.g. 42).`);
      return { ok: true, command: name === 'takedown' ? { name, findingId: id, override } : { name, findingId: id } };
    }
    case 'report': {
      const [url, ...note] = rest;
      if (url === undefined) return fail('report', '`report` needs the link.');
      if (!isLink(url) || !URL.canParse(url)) return fail('report', `\`${url}\` is not a link: paste the full address, starting with https://.`);
      return { ok: true, command: { name: 'report', url, note: note.join(' ') } };
    }
  }
}
