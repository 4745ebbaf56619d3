import type { Migration } from './migration.js';

/**
 * The seed service's detection values everywhere. Findings: a result without a mark was Completed
 * (evidence.detection.found false) and is Failed now; "cannot be analysed" was Failed and is Error
 * now (old Failed rows move first, so the two do not mix). Detection requests take the same values
 * as findings (they were lower-case and had only completed / failed). Each finding that changes
 * gets its audit row, as every status change does.
 */
export const migration: Migration = {
  version: 14,
  name: "detection statuses as the seed service's: Completed (mark found), Failed (no mark), Error (requirements not met, or our side), also for detection requests; where a request came from",
  sql: `
with moved as (
  update findings set detection_status = 'Error', version = version + 1 where detection_status = 'Failed' returning id
)
insert into audit_log (actor, action, object_kind, object_id, reason, details)
select 'migration', 'detection-status', 'Finding', id::text, 'Failed meant "cannot be analysed"; that is Error in the seed service''s values', '{"from": "Failed", "to": "Error", "migration": 14}'::jsonb from moved;

with moved as (
  update findings set detection_status = 'Failed', version = version + 1
  where detection_status = 'Completed' and (evidence->'detection'->>'found') = 'false' returning id
)
insert into audit_log (actor, action, object_kind, object_id, reason, details)
select 'migration', 'detection-status', 'Finding', id::text, 'no watermark was found: Failed in the seed service''s values (Completed means a mark was found)', '{"from": "Completed", "to": "Failed", "migration": 14}'::jsonb from moved;

alter table detection_requests drop constraint if exists detection_requests_status_check;
update detection_requests set status = case
  when status in ('requested', 'downloading') then 'Downloading'
  when status = 'detecting' then 'Detecting'
  when status = 'completed' and (result->>'found') = 'true' then 'Completed'
  when status = 'completed' then 'Failed'
  when status = 'failed' then 'Error'
  else status end;
alter table detection_requests alter column status set default 'Downloading';
alter table detection_requests add constraint detection_requests_status_check
  check (status in ('Downloading', 'Detecting', 'Completed', 'Failed', 'Error', 'Canceled'));
-- Where the request came from: only a Slack request is answered in Slack (vigil detect URL prints its own).
alter table detection_requests add column via text not null default 'slack' check (via in ('slack', 'cli', 'api'));
`,
};
