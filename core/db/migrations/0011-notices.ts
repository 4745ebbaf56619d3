import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 11,
  name: 'takedown notices, the findings each lists, and their delivery receipts',
  sql: `
-- One composed notice to one contact over one channel, kept as sent (subject, text, html) so the
-- evidence pack shows exactly what a host received. notice_key (runners/takedown/channels/notice-key.ts)
-- gives the SMTP Message-ID, so a resend after a crash is recognizable. 'sending' is left behind by a
-- worker killed mid-delivery: the next claim marks the notice recovered (it may have gone twice).
create table notices (
  id bigserial primary key,
  notice_key text not null unique,
  contact text not null,
  channel text not null check (channel in ('smtp', 'form')),
  language text not null,
  dir text not null check (dir in ('ltr', 'rtl')),
  subject text not null,
  text text not null,
  html text not null,
  urls text[] not null,
  works jsonb not null,
  sender jsonb not null,
  part_index integer not null check (part_index >= 1),
  part_total integer not null check (part_total >= part_index),
  status text not null default 'queued' check (status in ('queued', 'sending', 'sent', 'failed')),
  attempts integer not null default 0,
  recovered boolean not null default false,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index notices_open on notices (status) where status in ('queued', 'sending');

create table notice_findings (
  notice_id bigint not null references notices (id),
  finding_id bigint not null references findings (id),
  primary key (notice_id, finding_id)
);
create index notice_findings_finding on notice_findings (finding_id);

-- Every channel's answer to every try: the primary channel's, then the copies' (Lumen, delisting).
create table notice_receipts (
  id bigserial primary key,
  notice_id bigint not null references notices (id),
  attempt integer not null,
  channel text not null,
  outcome text not null check (outcome in ('sent', 'failed')),
  external_id text,
  reason text,
  retryable boolean,
  details jsonb not null default '{}',
  at timestamptz not null default now()
);
create index notice_receipts_notice on notice_receipts (notice_id);
`,
};
