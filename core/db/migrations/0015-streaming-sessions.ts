import type { Migration } from './migration.js';

/**
 * Streaming sessions (issue 13): who watches which package under which watermark ID. The watermark
 * ID comes from a sequence of its own, so it is unique and never reused, even after a session ends
 * or is revoked (sessions are never deleted); it is the 32-bit ID core/ab-pattern.ts spells in the
 * A/B pattern, a space separate from recipients' catalog watermark IDs (those mark whole copies).
 */
export const migration: Migration = {
  version: 15,
  name: 'streaming sessions: session id, watermark ID from a never-reused sequence, viewer, content or package, issued, expires, revoked',
  sql: `
create sequence streaming_session_watermark_ids as bigint minvalue 1 maxvalue 4294967295 no cycle;
create table streaming_sessions (
  id text primary key check (id ~ '^[A-Za-z0-9_-]{8,64}$'),
  watermark_id bigint not null unique default nextval('streaming_session_watermark_ids'),
  viewer text not null check (length(viewer) between 1 and 200),
  content_id text,
  package text,
  issued_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  issued_by text not null,
  check (content_id is not null or package is not null),
  check (expires_at > issued_at)
);
alter sequence streaming_session_watermark_ids owned by streaming_sessions.watermark_id;
create index streaming_sessions_viewer on streaming_sessions (viewer, issued_at desc);
`,
};
