import type { Migration } from './migration.js';

export const migration: Migration = {
  version: 9,
  name: 'abuse contacts found through RDAP, cached per domain and per IP network',
  sql: `
-- Who receives a takedown notice for a domain (its registrar's abuse contact) or an IP network (its
-- registry's abuse contact for the hosting provider), as RDAP last answered. A lookup that found
-- nobody is kept too (found = false, with why), for less time, so a host without a contact is
-- reported, not looked up again on every notice.
create table abuse_contacts (
  id bigserial primary key,
  scope text not null check (scope in ('domain', 'network')),
  -- The domain name, or the network as CIDR text.
  key text not null,
  -- For a network: its range, so any address inside it finds the cached answer without a request.
  network cidr,
  found boolean not null,
  contacts jsonb not null default '[]',
  -- The hosting provider or registrar as RDAP names it.
  organization text not null default '',
  why text not null default '',
  -- The RDAP URLs the answer came from.
  sources jsonb not null default '[]',
  fetched_at timestamptz not null default now(),
  expires_at timestamptz not null,
  unique (scope, key),
  check ((scope = 'network') = (network is not null))
);
create index abuse_contacts_network on abuse_contacts using gist (network inet_ops) where network is not null;
`,
};
