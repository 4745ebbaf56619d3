import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 4,
  name: 'embed ledger: every watermarked copy made, append-only',
  sql: `
-- One row per completed copy (written just before it is renamed into place): who it was for, which ID and key it
-- carries, and the bytes it came from and became. Never updated, never deleted.
create table embed_ledger (
  id bigserial primary key,
  at timestamptz not null default now(),
  watermark_id bigint not null check (watermark_id between 1 and 4294967295),
  -- false only for a lab copy (vigil embed --unallocated-lab): an ID nobody answers for
  allocated boolean not null,
  recipient_id text,
  recipient_name text,
  key_id text not null check (key_id ~ '^[0-9a-f]{16}$'),
  key_fingerprint text not null check (key_fingerprint ~ '^[0-9a-f]{64}$'),
  input_path text not null,
  input_sha256 text not null check (input_sha256 ~ '^[0-9a-f]{64}$'),
  output_path text not null,
  output_sha256 text not null check (output_sha256 ~ '^[0-9a-f]{64}$'),
  embed_job_id text,
  queue_job_id text,
  catalog_commit text,
  actor text not null,
  check (allocated = (recipient_id is not null)),
  check ((recipient_id is null) = (recipient_name is null))
);
create index embed_ledger_watermark on embed_ledger (watermark_id);
create index embed_ledger_output on embed_ledger (output_sha256);
create index embed_ledger_input on embed_ledger (input_sha256);

create function embed_ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'embed_ledger is append-only';
end $$;
create trigger embed_ledger_append_only before update or delete or truncate on embed_ledger
  for each statement execute function embed_ledger_append_only();
`,
};
