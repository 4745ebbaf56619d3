import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 7,
  name: 'chat cards: finding versions and rounds, the Slack summary message per round and card per finding',
  sql: `
-- version: bumped by every status change, so a button that showed an older card is recognised.
-- round_id: the round that first found the finding (later rounds only refresh it).
alter table findings add column version integer not null default 1;
alter table findings add column round_id text;

-- One summary message per content and round: the thread its findings' cards are posted in.
-- channel is what the catalog named (#name or C…/G…); channel_id is the id Slack answered with.
-- revision counts what the summary shows (cards joining, statuses moving); shown_revision is what
-- the posted message shows, so an update is owed while revision > shown_revision.
create table chat_summaries (
  id bigserial primary key,
  content_id text not null,
  round_id text not null,
  channel text,
  channel_id text,
  state text not null default 'pending' check (state in ('pending', 'sending', 'posted', 'skipped')),
  ts text,
  revision integer not null default 1,
  shown_revision integer not null default 0,
  attempts integer not null default 0,
  last_error text,
  -- a skipped summary's reason is logged once: this says it has been
  reported boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (content_id, round_id),
  check (state = 'skipped' or channel is not null)
);
create index chat_summaries_unposted on chat_summaries (channel, id) where state in ('pending', 'sending');
create index chat_summaries_stale on chat_summaries (channel, id) where state = 'posted' and revision > shown_revision;
create index chat_summaries_channel_id on chat_summaries (channel) where channel_id is not null;
create index chat_summaries_unreported on chat_summaries (id) where state = 'skipped' and not reported;

-- One card per finding, a reply in its summary's thread. dirty: the finding changed since the card
-- was last rendered; shown_version is the version the message shows; replied_audit_id the last audit
-- row of the finding whose threaded reply was posted (or that needed none), so replies owed are those after it.
create table chat_cards (
  finding_id bigint primary key references findings (id) on delete cascade,
  summary_id bigint not null references chat_summaries (id) on delete cascade,
  state text not null default 'pending' check (state in ('pending', 'sending', 'posted', 'skipped')),
  ts text,
  dirty boolean not null default false,
  shown_version integer,
  replied_audit_id bigint not null default 0,
  -- the audit row whose threaded reply is being posted (set before the call, cleared after)
  reply_audit_id bigint,
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index chat_cards_unposted on chat_cards (summary_id, finding_id) where state in ('pending', 'sending');
create index chat_cards_dirty on chat_cards (summary_id, finding_id) where state = 'posted' and dirty;
create index chat_cards_summary on chat_cards (summary_id);

-- What changed on one finding since its card showed it: audit rows by object and id.
create index audit_log_object_order on audit_log (object_kind, object_id, id);
`,
};
