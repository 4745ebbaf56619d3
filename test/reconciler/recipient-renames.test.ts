import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apply } from '../../reconciler/apply.js';
import { loadCatalog } from '../../core/catalog/load.js';
import { formatDiagnostic, hasErrors } from '../../core/catalog/diagnostics.js';
import { desiredState, type DesiredState } from '../../reconciler/desired.js';
import { plan } from '../../reconciler/plan.js';
import { planLine } from '../../reconciler/render.js';
import { loadActualState } from '../../reconciler/store.js';
import { openTestServices, type TestServices } from '../support/services.js';

/**
 * Active recipient names are unique ignoring case (a unique index on lower(recipient_name)), and
 * a commit may move names between recipients. Each of these must plan as `~` and apply, against
 * real PostgreSQL, or be refused at the catalog line; never end in a database error.
 */
const recipient = (id: string, name: string, watermarkId: number, extra = '') =>
  `apiVersion: vigil/v1\nkind: Recipient\nmetadata:\n  id: ${id}\nspec:\n  name: ${name}\n  watermarkId: ${watermarkId}\n${extra}`;

function desired(...docs: string[]): DesiredState {
  const loaded = loadCatalog(docs.map((d, i) => ({ path: `r${i}.yaml`, content: d })));
  expect(hasErrors(loaded.diagnostics), JSON.stringify(loaded.diagnostics)).toBe(false);
  return desiredState(loaded.catalog);
}

const NOW = new Date('2026-06-01T12:00:00Z');

describe('recipient renames', () => {
  let services: TestServices;
  beforeEach(async () => {
    services = await openTestServices();
  });
  afterEach(async () => {
    await services.close();
  });

  const run = (state: DesiredState, commit: string) => apply(services.db.pool, state, { source: 'test', actor: 'test', now: NOW, commit });
  const names = async () => (await services.db.pool.query<{ recipient_id: string; recipient_name: string; retired: boolean }>(
    'select recipient_id, recipient_name, retired_at is not null as retired from watermark_allocations order by recipient_id')).rows;
  const renameLines = async (state: DesiredState) => {
    const client = await services.db.pool.connect();
    try {
      return plan(state, await loadActualState(client), NOW).changes.filter((c) => c.op === 'rename').map((c) => planLine(c));
    } finally {
      client.release();
    }
  };

  it('swaps the names of two recipients in one commit', async () => {
    await run(desired(recipient('a', 'alpha', 1), recipient('b', 'beta', 2)), 'c1');
    const swapped = desired(recipient('a', 'beta', 1), recipient('b', 'alpha', 2));
    expect(await renameLines(swapped)).toEqual([
      { symbol: '~', subject: 'Recipient/a', detail: 'name: alpha → beta' },
      { symbol: '~', subject: 'Recipient/b', detail: 'name: beta → alpha' },
    ]);
    expect((await run(swapped, 'c2')).result).toBe('applied');
    expect(await names()).toEqual([
      { recipient_id: 'a', recipient_name: 'beta', retired: false },
      { recipient_id: 'b', recipient_name: 'alpha', retired: false },
    ]);
    expect((await run(swapped, 'c2')).result).toBe('no-op');
  });

  it('rotates three names and hands a freed name to a new recipient in the same commit', async () => {
    await run(desired(recipient('a', 'one', 1), recipient('b', 'two', 2), recipient('c', 'three', 3)), 'c1');
    const rotated = desired(recipient('a', 'two', 1), recipient('b', 'three', 2), recipient('c', 'four', 3), recipient('d', 'One', 4));
    expect((await run(rotated, 'c2')).result).toBe('applied');
    expect((await names()).map((n) => `${n.recipient_id}=${n.recipient_name}`)).toEqual(['a=two', 'b=three', 'c=four', 'd=One']);
  });

  it('renames in case only', async () => {
    await run(desired(recipient('netflix', 'netflix', 1)), 'c1');
    const renamed = desired(recipient('netflix', 'Netflix', 1));
    expect(await renameLines(renamed)).toEqual([{ symbol: '~', subject: 'Recipient/netflix', detail: 'name: netflix → Netflix' }]);
    expect((await run(renamed, 'c2')).result).toBe('applied');
    expect(await names()).toEqual([{ recipient_id: 'netflix', recipient_name: 'Netflix', retired: false }]);
  });

  it('renames to the name a retired recipient had, and reinstates a recipient under a new name while another takes its old one', async () => {
    await run(desired(recipient('old', 'oldco', 1), recipient('new', 'newco', 2)), 'c1');
    await run(desired(recipient('new', 'newco', 2)), 'c2'); // old is retired, its name free
    expect((await run(desired(recipient('new', 'OldCo', 2)), 'c3')).result).toBe('applied');
    // old comes back as oldco2 while new gives OldCo up for oldco: a reinstate, two renames.
    const back = desired(recipient('old', 'oldco2', 1), recipient('new', 'oldco', 2));
    expect((await run(back, 'c4')).result).toBe('applied');
    expect(await names()).toEqual([
      { recipient_id: 'new', recipient_name: 'oldco', retired: false },
      { recipient_id: 'old', recipient_name: 'oldco2', retired: false },
    ]);
  });

  it('refuses at its catalog line a retired recipient brought back under the name an active one now holds', async () => {
    await run(desired(recipient('old', 'shared', 1)), 'c1');
    await run(desired(recipient('new', 'x', 2)), 'c2');
    await run(desired(recipient('new', 'shared', 2)), 'c3');
    // The catalog itself refuses two recipients named alike, retired or not, at the line of the second.
    const twice = loadCatalog([{ path: 'r.yaml', content: [recipient('new', 'shared', 2), recipient('old', 'SHARED', 1, '  retired: true\n')].join('---\n') }]);
    expect(twice.diagnostics.map((d) => formatDiagnostic(d))).toEqual([
      'r.yaml:14:9: Recipient/old: recipient name "SHARED" is already used by Recipient/new ("shared") at r.yaml:1; names are unique ignoring case',
    ]);
  });

  it('refuses, located at the recipient, a desired state that gives two active recipients one name', async () => {
    await run(desired(recipient('a', 'alpha', 1), recipient('b', 'beta', 2)), 'c1');
    // A state that skipped validation (both called ALPHA): the plan rejects it instead of the index.
    const clash = desired(recipient('a', 'alpha', 1), recipient('b', 'beta', 2));
    clash.recipients.get('b')!.name = 'ALPHA';
    const result = await run(clash, 'c2');
    expect(result.result).toBe('rejected');
    expect(result.plan.rejections).toEqual([{
      kind: 'Recipient', id: 'b', field: 'spec.name',
      message: 'recipient name "ALPHA" is also wanted by Recipient/a ("alpha"); active recipient names are unique ignoring case',
    }]);
    expect((await names()).map((n) => n.recipient_name)).toEqual(['alpha', 'beta']);
  });
});
