import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markPushFailed, recordRevocation } from '../../core/db/revocations.js';
import { inTransaction } from '../../core/db/transaction.js';
import { runCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('vigil status', () => {
  let services: TestServices;
  beforeAll(async () => {
    services = await openTestServices();
  });
  afterAll(() => services.close());

  it('shows the revocation pushes each CDN mirror still owes, with the oldest, the next try and the last error', async () => {
    const none = await runCli(['status'], services.env, ROOT);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('\nRevocation pushes owed to CDN mirrors:\n  (none)\n');
    const by = { actor: 'test', reason: 'owed pushes' };
    const first = await recordRevocation(services.db.pool, { op: 'add', listId: 1, items: [{ id: 'sess-st-1', durationSeconds: 3600 }] }, ['akamai'], by);
    await recordRevocation(services.db.pool, { op: 'remove', listId: 1, ids: ['sess-st-1'] }, ['akamai'], by);
    await inTransaction(services.db.pool, (tx) => markPushFailed(tx, first.pushIds[0]!, 'error VIGIL-E0628: Akamai answered POST with 503', 30_000));
    const owed = await runCli(['status'], services.env, ROOT);
    expect(owed.stdout).toMatch(/\nRevocation pushes owed to CDN mirrors:\n {2}akamai: 2 owed since \S+Z, next try \S+Z: error VIGIL-E0628: Akamai answered POST with 503\n$/);
    const json = JSON.parse((await runCli(['status', '--format', 'json'], services.env, ROOT)).stdout) as { revocationPushes: unknown };
    expect(json.revocationPushes).toEqual([{ target: 'akamai', pending: 2, oldest: expect.any(String), nextAttemptAt: expect.any(String), lastError: 'error VIGIL-E0628: Akamai answered POST with 503' }]);
  });
});
