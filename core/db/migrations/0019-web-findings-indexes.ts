import type { Migration } from './migration.js';

/**
 * Indexes for the web view's findings page (web/): newest first, paged by keyset on
 * (first_seen, id), with the CLI's filters. Each filter a person narrows by most (a status, a title,
 * a site family) gets an index that also holds the order, so a page is an index range read of
 * LIMIT rows, not a sort of every match; statistics on how the filter columns go together and a
 * trigram index on page titles keep the planner from walking the whole listing for a page that
 * stays empty. The trends page counts removals by week from the audit log.
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
-- How the filters' columns go together (a status pair nobody has, a family only one title is on):
-- without it the planner multiplies their selectivities, expects matches that are not there and
-- walks the whole listing index for an empty page.
create statistics findings_filter_columns (mcv) on takedown_status, detection_status, family, content_id from findings;
-- Title text matches page titles anywhere in them (ilike '%…%'): a trigram index finds the few that
-- match instead of reading every title; the same for hosts by their subdomains. pg_trgm ships with
-- PostgreSQL (contrib, a trusted extension); on a server without it the search still works, by
-- reading the titles.
do $$
begin
  create extension if not exists pg_trgm;
exception when others then
  raise notice 'pg_trgm is not available (%); title searches read every page title', sqlerrm;
end $$;
-- The operator class is named with the extension's schema: it may live outside this search_path
-- (installed earlier into another schema of the same database).
do $$
declare trgm text := (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm');
begin
  if trgm is not null then
    execute format('create index findings_page_title_trgm on findings using gin (page_title %I.gin_trgm_ops)', trgm);
    -- A host filter takes its subdomains too (host like ''%.example.to''), which no btree can find.
    execute format('create index findings_host_trgm on findings using gin (host %I.gin_trgm_ops)', trgm);
  end if;
end $$;
`,
};
