import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { revocationKeys } from '../../edge/revocation-keys.js';
import { openRevocationView } from '../../edge/revocation-view.js';
import { openTestServices, type TestServices } from '../support/services.js';

let services: TestServices;
beforeAll(async () => { services = await openTestServices(); });
afterAll(async () => { await services?.close(); });

async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('the edge\'s revocation view', () => {
  it('reads the lists at start, follows add and remove events, ignores expired ids and lists not enforced', async () => {
    const keys = revocationKeys(services.config.queuePrefix);
    const redis = services.redis.client();
    const later = Date.now() + 3_600_000;
    await redis.hset(keys.lists, '1', '{}', '2', '{}');
    await redis.zadd(keys.ids(1), later, 'before-start', Date.now() - 1000, 'expired');
    await redis.zadd(keys.ids(2), later, 'on-list-2');
    const view = openRevocationView(redis.options, services.config.queuePrefix, { log: silentLogger });
    const only1 = openRevocationView(redis.options, services.config.queuePrefix, { log: silentLogger, lists: [1] });
    await Promise.all([view.ready, only1.ready]);
    expect(view.isRevoked('before-start')).toBe(true);
    expect(view.isRevoked('expired')).toBe(false);
    expect(view.isRevoked('on-list-2')).toBe(true);
    expect(only1.isRevoked('on-list-2')).toBe(false);
    await redis.publish(keys.events, JSON.stringify({ listId: 1, op: 'add', ids: ['new-one'], until: later }));
    expect(await eventually(() => view.isRevoked('new-one') && only1.isRevoked('new-one'))).toBe(true);
    await redis.publish(keys.events, JSON.stringify({ listId: 1, op: 'remove', ids: ['before-start'] }));
    expect(await eventually(() => !view.isRevoked('before-start'))).toBe(true);
    // An add whose time has passed does not revoke (the API's lazy expiry, seen from the edge).
    await redis.publish(keys.events, JSON.stringify({ listId: 1, op: 'add', ids: ['short'], until: Date.now() + 150 }));
    expect(await eventually(() => view.isRevoked('short'))).toBe(true);
    expect(await eventually(() => !view.isRevoked('short'))).toBe(true);
    await view.close();
    await only1.close();
    redis.disconnect();
  });
});
