import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 12,
  name: 'link checks after a notice, counter-notices (17 U.S.C. 512(g)), allow-list proposals from Ignore',
  sql: `
-- Every re-check of a taken-down link, as evidence: which takedown round (the n-th time the finding
-- went In Progress) and which check of it, what it found and why. One row per (finding, round, check),
-- so a re-check job run twice (a retry after its commit) records it once.
create table link_checks (
  id bigserial primary key,
  finding_id bigint not null references findings (id),
  round integer not null check (round >= 1),
  n integer not null check (n >= 1),
  at timestamptz not null,
  outcome text not null check (outcome in ('gone', 'up', 'unknown')),
  why text not null,
  reason text not null,
  http_status integer,
  final_url text,
  evidence jsonb not null default '{}',
  unique (finding_id, round, n)
);

-- A counter-notice received for a link taken down. The restore window is computed when recorded
-- (runners/takedown/business-days.ts) and kept, so a later change of the holiday rules does not
-- move a window already told to people.
create table counter_notices (
  id bigserial primary key,
  finding_id bigint not null references findings (id),
  received_on date not null,
  from_name text,
  note text,
  restore_earliest date not null,
  restore_latest date not null,
  recorded_at timestamptz not null default now(),
  recorded_by text not null,
  unique (finding_id, received_on)
);
create index counter_notices_window on counter_notices (restore_latest);

-- What an Ignore taught: a host that is no catalog Site, proposed as a legitimate one through a
-- catalog pull request. One row per host, however many findings of it are ignored.
create table allow_list_proposals (
  host text primary key,
  finding_id bigint not null references findings (id),
  proposed_by text not null,
  reason text not null,
  created_at timestamptz not null default now(),
  pull_url text,
  pull_number integer,
  opened_at timestamptz
);
`,
};
