import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 8,
  name: 'reported links in the review queue (suspects without a content, with reporter and note), review decisions, detection requests for links',
  sql: `
-- A link someone reported: the reporter does not know which title it is, so the content may be
-- missing until the person who confirms it chooses one.
alter table suspects drop constraint if exists suspects_source_check;
alter table suspects add constraint suspects_source_check check (source in ('web', 'rss', 'torznab', 'search', 'report'));
alter table findings drop constraint if exists findings_source_check;
alter table findings add constraint findings_source_check check (source in ('web', 'rss', 'torznab', 'search', 'report'));
alter table suspects alter column content_id drop not null;
alter table suspects add column reporter text;
alter table suspects add column note text not null default '';
alter table suspects add column decided_by text;
alter table suspects add column decided_at timestamptz;
alter table suspects add column finding_id bigint references findings (id);
-- One suspect per URL and content (the table's unique key); one per URL while the content is unknown.
create unique index suspects_unknown_content on suspects (normalized_url) where content_id is null;
create index suspects_queue on suspects (score desc, id) where review = 'queued';

-- A person asked for watermark detection on a link monitoring did not find.
create table detection_requests (
  id bigserial primary key,
  url text not null,
  normalized_url text not null,
  requested_by text not null,
  -- Where to answer: the Slack channel (and thread) the request came from.
  channel text,
  thread_ts text,
  status text not null default 'requested' check (status in ('requested', 'downloading', 'detecting', 'completed', 'failed')),
  result jsonb,
  reason text not null default '',
  requested_at timestamptz not null default now(),
  finished_at timestamptz
);
`,
};
