import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SLACK_EVENTS_PATH } from '../../../bot/slack/app.js';

/** The bot scope each Web API method needs (https://api.slack.com/methods); a method missing here fails the test until it is added. */
const SCOPE_OF: Record<string, string | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.getPermalink': null,
  'conversations.replies': 'channels:history',
  'conversations.history': 'channels:history',
  'usergroups.users.list': 'usergroups:read',
  'views.open': null,
  'views.update': null,
  'views.push': null,
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
};

interface Manifest {
  features: { slash_commands: { command: string; url: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url: string } };
}

const dir = path.resolve(import.meta.dirname, '../../../bot/slack');
const manifest = parse(readFileSync(path.join(dir, 'manifest.yaml'), 'utf8')) as Manifest;

const ARRAY_METHODS = new Set(['includes', 'map', 'filter', 'some', 'every', 'find', 'push', 'join', 'slice', 'forEach', 'concat', 'indexOf']);
const NAMESPACES = 'auth|chat|conversations|usergroups|users|views|apps|reactions|files|team';

/** Every Web API method the bot's sources call: `….chat.update(` on any client, or a method named as a string (apiCall). */
function methodsCalled(): string[] {
  const found = new Set<string>();
  const call = new RegExp(String.raw`\.(${NAMESPACES})\.([a-zA-Z]+(?:\.[a-zA-Z]+)?)\(`, 'g');
  const named = new RegExp(String.raw`'((?:${NAMESPACES})\.[a-zA-Z]+(?:\.[a-zA-Z]+)?)'`, 'g');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(path.join(dir, file), 'utf8');
    // `approvers.users.includes(` is an array, not the users.* API.
    for (const m of source.matchAll(call)) if (!ARRAY_METHODS.has(m[2]!)) found.add(`${m[1]}.${m[2]}`);
    for (const m of source.matchAll(named)) found.add(m[1]!);
  }
  return [...found].sort();
}

describe('the Slack app manifest', () => {
  it('sends interactions and the /vigil command to the path the HTTP transport serves', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(new URL(manifest.settings.interactivity.request_url).pathname).toBe(SLACK_EVENTS_PATH);
    const vigil = manifest.features.slash_commands.find((c) => c.command === '/vigil');
    expect(vigil).toBeDefined();
    expect(new URL(vigil!.url).pathname).toBe(SLACK_EVENTS_PATH);
  });

  it('grants a scope for every Web API method the bot calls', () => {
    const called = methodsCalled();
    // The ones every part of the bot depends on must be seen, or the scan itself is broken.
    expect(called).toEqual(expect.arrayContaining(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'usergroups.users.list', 'conversations.replies']));
    const unknown = called.filter((m) => !(m in SCOPE_OF));
    expect(unknown, 'methods the bot calls that this test does not know the scope of').toEqual([]);
    const missing = called.map((m) => SCOPE_OF[m] ?? null).filter((s): s is string => s !== null && !manifest.oauth_config.scopes.bot.includes(s));
    expect(missing).toEqual([]);
    expect(manifest.oauth_config.scopes.bot).toContain('commands');
  });
});
