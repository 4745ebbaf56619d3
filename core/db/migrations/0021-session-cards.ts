import type { Migration } from './migration.js';

/**
 * Session cards (issue 13): the Slack card with a Revoke button for a traced session, posted once
 * per session and channel. The once-only record lives here, not in Redis (losing Redis must lose no
 * record, and a lost mark meant a second card). 'sending' is written before chat.postMessage and
 * 'posted' with the message's ts after it, so a try that finds 'sending' knows the card may be in
 * Slack already and looks for it (by its metadata key) before it posts.
 */
export const migration: Migration = {
  version: 21,
  name: 'session cards: the Revoke card of each traced session and channel, sending before the post and posted with its ts after',
  sql: `
create table session_cards (
  session_id text not null references streaming_sessions (id),
  -- what the Policy named (#name or C…/G…); channel_id is the id Slack answered the post with
  channel text not null check (length(channel) between 1 and 200),
  state text not null default 'sending' check (state in ('sending', 'posted')),
  ts text,
  channel_id text,
  -- tries to put the card in Slack; above 1 while 'sending', an earlier try may have posted it
  attempts integer not null default 1,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  posted_at timestamptz,
  primary key (session_id, channel),
  check (state = 'sending' or ts is not null)
);
create index session_cards_channel_id on session_cards (channel) where channel_id is not null;
`,
};
