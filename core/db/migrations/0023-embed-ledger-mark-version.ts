import type { Migration } from './migration.js';

/**
 * Issue 14 item 4: the forensic mark has two versions (native/src/pattern.h): 1, the same tile in
 * every frame; 2, the tile's sign changing by a keyed sequence, which the estimation attack
 * (averaging a copy's frames and subtracting) cannot remove. Each copy's row names the version it
 * carries; the copies made before this column existed are version 1. Adding a column with a
 * constant default rewrites no row, so the append-only trigger is not involved.
 */
export const migration: Migration = {
  version: 23,
  name: 'embed ledger: mark_version, the forensic mark version each copy carries (1 for the copies made before)',
  sql: `
alter table embed_ledger add column mark_version smallint not null default 1 check (mark_version in (1, 2));
`,
};
