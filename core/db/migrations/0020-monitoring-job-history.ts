import type { Migration } from './migration.js';

/**
 * The usage report (issue 15) bills a title for each month it was monitored after its release: it
 * needs every job's status and tier over time, not only the current row. A trigger keeps the
 * history, so every writer of monitoring_jobs (apply, a reservation starting, a failed
 * registration) records it without knowing about it. Rows before this migration are rebuilt from
 * the audit log's job-status entries (the tier then is unknown and taken as the current one).
 */
export const migration: Migration = {
  version: 20,
  name: 'monitoring job history: each status and tier a job had and since when, for the usage report; report deliveries (Slack, e-mail); an index of findings\' completions in the audit log',
  sql: `
create table monitoring_job_history (
  id bigserial primary key,
  job_id text not null,
  content_id text not null,
  status text not null,
  tier text not null check (tier in ('standard', 'premium')),
  start_date date not null,
  stop_date date,
  at timestamptz not null default now()
);
create index monitoring_job_history_job on monitoring_job_history (job_id, at, id);

create function monitoring_job_history_record() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' or new.status is distinct from old.status or new.tier is distinct from old.tier
     or new.start_date is distinct from old.start_date or new.stop_date is distinct from old.stop_date
     or new.content_id is distinct from old.content_id then
    insert into monitoring_job_history (job_id, content_id, status, tier, start_date, stop_date, at)
    values (new.id, new.content_id, new.status, new.tier, new.start_date, new.stop_date, now());
  end if;
  return null;
end $$;
create trigger monitoring_job_history_record after insert or update on monitoring_jobs
  for each row execute function monitoring_job_history_record();

insert into monitoring_job_history (job_id, content_id, status, tier, start_date, stop_date, at)
select j.id, j.content_id, a.details->>'to', j.tier, j.start_date, j.stop_date, a.at
from audit_log a join monitoring_jobs j on j.id = a.object_id
where a.object_kind = 'MonitoringJob' and a.action = 'job-status' and a.details ? 'to'
order by a.id;
-- A job without audited changes still has its current status, since status_since.
insert into monitoring_job_history (job_id, content_id, status, tier, start_date, stop_date, at)
select j.id, j.content_id, j.status, j.tier, j.start_date, j.stop_date, j.status_since
from monitoring_jobs j where not exists (select 1 from monitoring_job_history h where h.job_id = j.id);

-- Every report sent (the monthly usage message, a creator's e-mail): the schedule sends each
-- (kind, subject, period) once, so a retried or doubled scheduled job does not send it again.
create table report_deliveries (
  id bigserial primary key,
  kind text not null check (kind in ('usage', 'creator')),
  -- What it is about: 'all' for usage, the creator's name in lower case for a creator report.
  subject text not null,
  period text not null,
  channel text not null check (channel in ('slack', 'smtp')),
  target text not null,
  message_id text,
  trigger text not null check (trigger in ('schedule', 'cli')),
  sent_at timestamptz not null default now()
);
-- Creator reports ask, per finding, when it first became Complete: the audit log is large, its completions few.
create index audit_log_finding_completed on audit_log (object_id, at)
  where object_kind = 'Finding' and action = 'takedown-status' and (details->>'to') = 'Complete';
create unique index report_deliveries_scheduled on report_deliveries (kind, subject, period) where trigger = 'schedule';
`,
};
