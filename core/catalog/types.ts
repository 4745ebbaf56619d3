/** TypeScript shapes of the catalog kinds; schemas/*.schema.json are the source of truth. */

export const KINDS = ['Content', 'Recipient', 'MonitoringJob', 'EmbedJob', 'Site', 'Policy'] as const;
export type Kind = (typeof KINDS)[number];

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && (KINDS as readonly string[]).includes(value);
}

export interface ContentSpec {
  type: 'film' | 'season';
  title: string;
  aliases?: string[];
  localizedTitles?: { lang: string; title: string }[];
  season?: number;
  episodes?: number;
  releaseDate: string;
  referenceMedia?: { path: string; kind?: 'video' | 'images'; episode?: number }[];
  watermarked?: boolean;
  /** Slack channel for this title's finding cards (#name or C…/G… id), instead of the Policy's channels.findings. */
  channel?: string;
  keywords?: { add?: { term: string; weight?: number; lang?: string }[]; remove?: string[] };
  /** The creator or content provider, for creator reports (runners/report). */
  creator?: CreatorSpec;
}

export interface CreatorSpec {
  /** Works are grouped by this name, ignoring case. */
  name: string;
  /** Where the quarterly report is e-mailed. */
  email?: string;
  /** A Slack user id: their /vigil report links count as the creator's own, others as the community's. */
  slackUser?: string;
}

export interface RecipientSpec {
  name: string;
  watermarkId: number;
  retired?: boolean;
  contact?: string;
  notes?: string;
}

export interface MonitoringJobSpec {
  content: string;
  tier?: 'standard' | 'premium';
  detection?: 'manual' | 'automatic';
  takedown?: 'manual' | 'automatic';
  start?: string;
  stop?: string;
  stopped?: boolean;
  every?: string;
  sites?: string[];
}

export type VisiblePosition =
  | 'top-left' | 'top' | 'top-right' | 'left' | 'center' | 'right' | 'bottom-left' | 'bottom' | 'bottom-right'
  | { x: number; y: number };

export interface EmbedJobSpec {
  content?: string;
  input: string;
  output: string;
  recipients: string[];
  visible?: { image: string; alpha?: number; positions?: VisiblePosition[]; interval?: string; disappear?: string };
}

export interface SiteSource {
  type: 'web' | 'rss' | 'torznab' | 'search' | 'sitemap';
  url: string;
  depth?: number;
  /** Pages crawled (web: in all; sitemap: of the pages the sitemap lists). */
  maxPages?: number;
  /** Search and Torznab: results read per query term, paging through the API's answers. */
  maxResults?: number;
  apiKeyEnv?: string;
}

export interface SiteSpec {
  type: 'piracy' | 'legitimate';
  category?: 'streaming' | 'torrent' | 'cyberlocker' | 'forum' | 'comics' | 'social' | 'search' | 'official';
  domains: string[];
  family?: string;
  /** BCP 47: the language takedown notices to this site are written in (runners/takedown/language.ts). */
  language?: string;
  sources?: SiteSource[];
  takedown?: { email?: string; formUrl?: string; hostingProvider?: string };
}

/** Policy spec.takedown: every field optional; core/catalog/takedown-policy.ts fills the defaults. */
export interface TakedownPolicySpec {
  batch?: { maxUrls?: number; waitSeconds?: number };
  delivery?: { attempts?: number; backoffMinutes?: number };
  recheck?: { firstAfterMinutes?: number; everyMinutes?: number; count?: number };
  allowList?: { proposeOnIgnore?: boolean };
}

export interface PolicySpec {
  approvers?: Partial<Record<'takedown' | 'ignore' | 'detect' | 'revoke' | 'review', string[]>>;
  noticeSender?: { name: string; organization?: string; email: string; address?: string; phone?: string };
  takedown?: TakedownPolicySpec;
  /** core/catalog/revocation-policy.ts fills the defaults. */
  revocation?: { automatic?: boolean; durationSeconds?: number };
  thresholds?: { suspectScore?: number; matchDistance?: number; detectionConfidence?: number };
  /** reports: where the monthly usage report is posted (runners/report). */
  channels?: { findings?: string; alerts?: string; reports?: string };
  limits?: { activeRecipients?: number };
  paths?: { allowExternalInputs?: boolean };
}

export interface SpecByKind {
  Content: ContentSpec;
  Recipient: RecipientSpec;
  MonitoringJob: MonitoringJobSpec;
  EmbedJob: EmbedJobSpec;
  Site: SiteSpec;
  Policy: PolicySpec;
}

export interface Metadata {
  id: string;
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A 1-based line and column in a catalog file. */
export interface Position {
  line: number;
  col: number;
}

export type PathSegment = string | number;

export interface SourceRef {
  /** Path relative to the catalog root, with '/' separators. */
  file: string;
  /** Index of the document within its file (0-based). */
  index: number;
  /** Where the document starts. */
  position: Position;
  /** Where a field (or, with `key`, its key) is; falls back to the nearest enclosing node. */
  locate(path: readonly PathSegment[], key?: boolean): Position;
}

export interface CatalogDocument<K extends Kind = Kind> {
  apiVersion: 'vigil/v1';
  kind: K;
  metadata: Metadata;
  spec: SpecByKind[K];
  source: SourceRef;
}

export type AnyDocument = { [K in Kind]: CatalogDocument<K> }[Kind];

export const DEFAULT_ACTIVE_RECIPIENT_LIMIT = 1000;
