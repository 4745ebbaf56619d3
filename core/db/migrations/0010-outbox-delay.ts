import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 10,
  name: 'outbox: a job may be owed for later (a re-check a day after a notice went)',
  sql: `
-- When set, the relay adds the job as a BullMQ delayed job that runs at run_at (at once when
-- run_at has passed). The row is still relayed at once, so losing nothing does not wait on the clock.
alter table outbox add column run_at timestamptz;
`,
};
