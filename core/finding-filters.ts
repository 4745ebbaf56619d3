import type { FindingQuery } from './db/findings.js';
import { VigilError } from './errors.js';
import { DETECTION_STATUSES, TAKEDOWN_STATUSES } from './status.js';
import { linkQuery } from './url.js';

/**
 * The finding filters people type (`vigil findings`, `/vigil findings`), checked before any service
 * is opened: a time zone, calendar days, a link or host and status names, each matched the way a
 * person would expect (any case). The CLI and the Slack bot both build their query here.
 */

const ZONES_FIX = 'Use an IANA time zone such as UTC, Europe/Paris or America/New_York; list them all with '
  + '`timedatectl list-timezones` (or https://en.wikipedia.org/wiki/List_of_tz_database_time_zones).';

/** The canonical IANA name of a zone given in any case ("asia/seoul" is Asia/Seoul). */
export function parseTimeZone(option: string, value: string): string {
  let zone: string | undefined;
  try {
    zone = new Intl.DateTimeFormat('en', { timeZone: value.trim() }).resolvedOptions().timeZone;
  } catch {
    // Suggest zones whose city starts as the one typed: "Europe/Pariss" finds Europe/Paris.
    const start = value.trim().split('/').pop()!.toLowerCase().replace(/[\s-]+/g, '_').slice(0, 4);
    const near = start.length >= 3 ? Intl.supportedValuesOf('timeZone').filter((z) => z.split('/').pop()!.toLowerCase().startsWith(start)).slice(0, 5) : [];
    throw new VigilError('USAGE', `${option} ${JSON.stringify(value)} is not a time zone${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`, { fix: ZONES_FIX });
  }
  return zone;
}

/** A yyyy-MM-dd day that exists on the calendar (2026-02-30 does not). */
export function parseDay(option: string, value: string): string {
  const day = value.trim();
  const time = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  // Date.parse takes 2026-02-30 as 2 March: the day must survive the round trip.
  const valid = !Number.isNaN(time) && new Date(time).toISOString().startsWith(day);
  if (!valid) throw new VigilError('USAGE', `${option} ${JSON.stringify(value)} is not a calendar date; write yyyy-MM-dd, e.g. 2026-03-01`);
  return day;
}

/** Case, spaces, '-' and '_' do not matter: "in progress", "IN-PROGRESS" and "In Progress" are one status. */
function statusKey(value: string): string {
  return value.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
}

/** Each value as the canonical status it names; an unknown one lists the allowed statuses. */
export function parseStatuses<S extends string>(option: string, kind: string, values: readonly string[], allowed: readonly S[]): S[] {
  return values.map((value) => {
    const status = allowed.find((s) => statusKey(s) === statusKey(value));
    if (status === undefined) {
      throw new VigilError('USAGE', `${option}: unknown ${kind} status ${JSON.stringify(value)}; one of ${allowed.map((s) => (s.includes(' ') ? `"${s}"` : s)).join(', ')} (any case)`);
    }
    return status;
  });
}

/** The filters as typed, option by option (names as the CLI spells them, without "--"). */
export interface FindingFilterInput {
  content?: string;
  title?: string;
  from?: string;
  to?: string;
  /** Default UTC. */
  tz?: string;
  /** A full URL or a bare host. */
  link?: string;
  takedown?: readonly string[];
  detection?: readonly string[];
  family?: string;
}

/** What the filters ask for: the query (without paging) and the time zone dates are shown in. */
export interface FindingFilters {
  query: Omit<FindingQuery, 'limit' | 'offset'>;
  timeZone: string;
}

/** Checks every filter and builds the query; a wrong one is a USAGE error naming the option and what it takes. */
export function parseFindingFilters(input: FindingFilterInput): FindingFilters {
  const timeZone = parseTimeZone('--tz', input.tz ?? 'UTC');
  const from = input.from === undefined ? undefined : parseDay('--from', input.from);
  const to = input.to === undefined ? undefined : parseDay('--to', input.to);
  if (from && to && from > to) throw new VigilError('USAGE', `--from ${from} is after --to ${to}`);
  const takedown = parseStatuses('--takedown', 'takedown', input.takedown ?? [], TAKEDOWN_STATUSES);
  const detection = parseStatuses('--detection', 'detection', input.detection ?? [], DETECTION_STATUSES);
  const link = input.link?.trim();
  if (link !== undefined && (link === '' || (/^[a-z][a-z0-9+.-]*:\/\//i.test(link) && !URL.canParse(link)))) {
    throw new VigilError('USAGE', `--link ${JSON.stringify(input.link)} is not a URL; give a full URL or a bare host such as example.to`);
  }
  // Ids and families are lowercase by schema (schemas/defs.schema.json).
  const content = input.content?.trim().toLowerCase();
  const family = input.family?.trim().toLowerCase();
  const title = input.title?.trim();
  return {
    timeZone,
    query: {
      ...(content ? { contentId: content } : {}),
      ...(title ? { title } : {}),
      ...(from || to ? { period: { timeZone, ...(from ? { from } : {}), ...(to ? { to } : {}) } } : {}),
      ...(link ? { link: linkQuery(link) } : {}),
      ...(family ? { family } : {}),
      ...(takedown.length ? { takedownStatus: takedown } : {}),
      ...(detection.length ? { detectionStatus: detection } : {}),
    },
  };
}
