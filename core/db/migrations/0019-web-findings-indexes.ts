import type { Migration } from './migration.js';

/**
 * Indexes for the web view's findings page (web/): newest first, paged by keyset on
 * (first_seen, id), with the CLI's filters. Each filter a person narrows by most (a status, a title,
 * a site family) gets an index that also holds the order, so a page is an index range read of
 * LIMIT rows, not a sort of every match. The trends page counts removals by week from the audit log.
 */
export const migration: Migration = {
  version: 19,
  name: 'indexes for the web view: findings by keyset (first_seen, id) per filter, removals by week',
  sql: `
create index findings_listing on findings (first_seen, id);
create index findings_takedown_listing on findings (takedown_status, first_seen, id);
create index findings_detection_listing on findings (detection_status, first_seen, id);
create index findings_family_listing on findings (family, first_seen, id);
create index findings_content_listing on findings (content_id, first_seen, id);
-- The jobs page counts each monitoring job's findings and its latest.
create index findings_monitoring_job on findings (monitoring_job_id, first_seen);
-- findings_listing covers what this one did (first_seen first), so keeping both would only slow writes.
drop index if exists findings_first_seen;
create index audit_log_removals on audit_log (at) where action = 'takedown-status' and details->>'to' = 'Complete';
`,
};
