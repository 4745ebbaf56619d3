import { DETECTION_STATUSES, TAKEDOWN_STATUSES, sqlValueList } from '../../status.js';
import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 2,
  name: 'findings, suspects (review queue), discovered sites and host profiles for leak monitoring',
  sql: `
-- One finding per content and normalized URL, however many rounds and sources see it.
create table findings (
  id bigserial primary key,
  content_id text not null,
  monitoring_job_id text,
  url text not null,
  normalized_url text not null,
  host text not null,
  site_id text,
  family text,
  page_title text not null default '',
  source text not null check (source in ('web', 'rss', 'torznab', 'search')),
  score real not null,
  match_distance real,
  evidence jsonb not null default '{}',
  takedown_status text not null default 'Available' check (takedown_status in ${sqlValueList(TAKEDOWN_STATUSES)}),
  detection_status text not null default 'Not Available' check (detection_status in ${sqlValueList(DETECTION_STATUSES)}),
  first_seen timestamptz not null default now(),
  last_seen timestamptz not null default now(),
  rounds integer not null default 1,
  unique (content_id, normalized_url)
);
create index findings_first_seen on findings (first_seen);
create index findings_host on findings (host);
create index findings_family on findings (family);
create index findings_statuses on findings (takedown_status, detection_status);

-- Phase-1 suspects that phase 2 did not confirm: the review queue (premium puts it before people).
create table suspects (
  id bigserial primary key,
  content_id text not null,
  monitoring_job_id text,
  url text not null,
  normalized_url text not null,
  host text not null,
  site_id text,
  family text,
  page_title text not null default '',
  source text not null check (source in ('web', 'rss', 'torznab', 'search')),
  score real not null,
  reason text not null default '',
  evidence jsonb not null default '{}',
  review text not null default 'pending' check (review in ('pending', 'queued', 'confirmed', 'rejected')),
  first_seen timestamptz not null default now(),
  last_seen timestamptz not null default now(),
  unique (content_id, normalized_url)
);
create index suspects_review on suspects (review);

-- Hosts linked to a known site by hop detection; they inherit the site's family and enforcement.
create table discovered_sites (
  host text primary key,
  site_id text not null,
  family text not null,
  via_host text not null,
  signals jsonb not null default '[]',
  confidence real not null,
  discovered_at timestamptz not null default now(),
  last_seen timestamptz not null default now()
);
create index discovered_sites_family on discovered_sites (family);

-- What the crawler last saw of a host, so a hop is recognized against earlier rounds too.
create table host_profiles (
  host text primary key,
  site_id text,
  tracking_ids text[] not null default '{}',
  favicon_hash text,
  structure integer[] not null default '{}',
  updated_at timestamptz not null default now()
);
`,
};
