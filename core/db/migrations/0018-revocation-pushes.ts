import type { Migration } from './migration.js';

/**
 * Revocation pushes (issue 13): every add or remove made at Vigil's edge owes the same call to each
 * CDN mirror (Akamai). The row is written with the revocation's record and kept until the mirror
 * took it, so a CDN API that is down gets the revocation later, in the order the calls were made.
 */
export const migration: Migration = {
  version: 18,
  name: 'revocation pushes: the adds and removes each CDN mirror still owes, tried again with backoff until taken or moot',
  sql: `
create table revocation_pushes (
  id bigserial primary key,
  target text not null check (length(target) between 1 and 40),
  list_id integer not null check (list_id > 0),
  op text not null check (op in ('add', 'remove')),
  -- add: [{ id, durationSeconds }]; remove: ["id", ...]
  body jsonb not null,
  state text not null default 'pending' check (state in ('pending', 'done', 'moot')),
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  next_attempt_at timestamptz not null default now(),
  -- Past this the call is moot (every revocation it carries has ended): it is given up, not pushed.
  moot_after timestamptz not null,
  done_at timestamptz,
  requested_by text not null
);
create index revocation_pushes_pending on revocation_pushes (target, id) where state = 'pending';
`,
};
