import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 3,
  name: 'reference fingerprints, computed once per content and reference media',
  sql: `
create table reference_fingerprints (
  content_id text primary key,
  -- hash of the content's referenceMedia list: a changed list means the fingerprints are stale
  media_hash text not null,
  fingerprints jsonb not null,
  frames integer not null,
  computed_at timestamptz not null default now()
);
`,
};
