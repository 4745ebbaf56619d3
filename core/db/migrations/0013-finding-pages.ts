import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 13,
  name: 'finding pages: the page as fetched when a finding (or a suspect) was recorded, for its evidence pack',
  sql: `
-- One capture per finding and one per suspect: the first one seen is kept (later rounds do not
-- overwrite it), because the page as it was when the infringement was found is the evidence. A
-- suspect's capture passes to the finding it becomes when a person confirms it.
create table finding_pages (
  id bigserial primary key,
  finding_id bigint unique references findings (id) on delete cascade,
  suspect_id bigint unique references suspects (id) on delete cascade,
  method text not null,
  -- The URL asked for, and the one that answered after redirects.
  requested_url text not null,
  final_url text not null,
  -- Header pairs in the order sent and received ([[name, value], ...]); credential values masked.
  request_headers jsonb not null,
  http_version text not null,
  status integer not null,
  status_text text not null default '',
  response_headers jsonb not null,
  redirects jsonb not null default '[]',
  -- The body as the crawler read it (content-encoding undone), cut at a bound and marked when cut.
  body bytea not null,
  body_bytes bigint not null,
  truncated boolean not null default false,
  remote_address text,
  fetched_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  check (finding_id is not null or suspect_id is not null)
);
`,
};
