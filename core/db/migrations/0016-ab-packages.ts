import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 16,
  name: 'A/B packages: every title packaged into A and B segment variants, so detection knows which package a re-stream may come from',
  sql: `
-- One row per package written by vigil package (recorded just before its folder is renamed into place).
-- positions[i] is segment i's WMPaceInfo position (-1 = unmarked); the key named is the one the variants were derived from.
create table ab_packages (
  id text primary key check (id ~ '^[0-9a-f]{32}$'),
  at timestamptz not null default now(),
  content_id text,
  dir text not null,
  key_id text not null check (key_id ~ '^[0-9a-f]{16}$'),
  key_fingerprint text not null check (key_fingerprint ~ '^[0-9a-f]{64}$'),
  pattern_version int not null,
  segment_seconds real not null check (segment_seconds > 0),
  segment_count int not null check (segment_count > 0),
  marked_count int not null check (marked_count between 0 and segment_count),
  positions int[] not null check (cardinality(positions) = segment_count),
  input_path text not null,
  input_sha256 text not null check (input_sha256 ~ '^[0-9a-f]{64}$'),
  actor text not null
);
create index ab_packages_content on ab_packages (content_id);
create index ab_packages_dir on ab_packages (dir);
`,
};
