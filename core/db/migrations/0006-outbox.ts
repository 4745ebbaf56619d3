import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 6,
  name: 'outbox: follow-up jobs written in the same transaction as the record that asks for them',
  sql: `
-- A row here is a queue job owed: the relay adds it to BullMQ under job_id, then sets sent_at.
-- A crash between the two re-adds the same job id on the next pass, which BullMQ ignores.
create table outbox (
  id bigserial primary key,
  queue text not null,
  name text not null,
  job_id text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index outbox_unsent on outbox (id) where sent_at is null;
`,
};
