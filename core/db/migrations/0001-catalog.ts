import { MONITORING_JOB_STATUSES, sqlValueList } from '../../status.js';
import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 1,
  name: 'catalog objects, watermark allocations, monitoring jobs, reconciliations, audit log',
  sql: `
create table catalog_objects (
  kind text not null check (kind in ('Content', 'Recipient', 'MonitoringJob', 'EmbedJob', 'Site', 'Policy')),
  id text not null,
  spec jsonb not null,
  metadata jsonb not null,
  -- hash of metadata + spec as last applied; differs from their live hash only if someone edited the row (drift)
  spec_hash text not null,
  generation integer not null default 1,
  source_file text,
  source_line integer,
  applied_commit text,
  conditions jsonb not null default '[]',
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (kind, id)
);

-- A watermark ID names one recipient forever: rows are never deleted and the pair never changes.
create table watermark_allocations (
  watermark_id bigint primary key check (watermark_id between 1 and 4294967295),
  recipient_id text not null unique,
  recipient_name text not null,
  allocated_at timestamptz not null default now(),
  allocated_commit text,
  retired_at timestamptz
);
create unique index watermark_allocations_active_name on watermark_allocations (lower(recipient_name)) where retired_at is null;

create function watermark_allocations_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'watermark allocation % is permanent and cannot be deleted', old.watermark_id;
  end if;
  if new.watermark_id <> old.watermark_id or new.recipient_id <> old.recipient_id then
    raise exception 'watermark allocation % belongs to recipient % forever', old.watermark_id, old.recipient_id;
  end if;
  return new;
end $$;
create trigger watermark_allocations_guard before update or delete on watermark_allocations
  for each row execute function watermark_allocations_guard();

create table monitoring_jobs (
  id text primary key,
  content_id text not null,
  tier text not null check (tier in ('standard', 'premium')),
  detection text not null check (detection in ('manual', 'automatic')),
  takedown text not null check (takedown in ('manual', 'automatic')),
  start_date date not null,
  stop_date date,
  every_ms bigint not null check (every_ms > 0),
  status text not null check (status in ${sqlValueList(MONITORING_JOB_STATUSES)}),
  status_reason text not null default '',
  status_since timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index monitoring_jobs_status on monitoring_jobs (status);

create table reconciliations (
  id bigserial primary key,
  commit text,
  source text not null,
  started_at timestamptz not null,
  finished_at timestamptz not null default now(),
  result text not null check (result in ('applied', 'no-op', 'rejected', 'failed')),
  changes integer not null default 0,
  summary jsonb not null default '{}'
);

-- Who did what, when and why; append-only.
create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  actor text not null,
  action text not null,
  object_kind text,
  object_id text,
  commit text,
  reason text not null default '',
  details jsonb not null default '{}'
);
create index audit_log_object on audit_log (object_kind, object_id);

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only';
end $$;
create trigger audit_log_append_only before update or delete on audit_log
  for each statement execute function audit_log_append_only();
`,
};
