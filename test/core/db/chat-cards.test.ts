import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cardOf, cardView, changesSince, channelsWithWork, markCardPosted, summaryView, takeUnreportedSkips, unpostedCards, unpostedSummaries,
} from '../../../core/db/chat-cards.js';
import { changeFindingStatus, findingById, recordFinding, setTakedownStatus } from '../../../core/db/findings.js';
import { inTransaction } from '../../../core/db/transaction.js';
import { findingInput, recordRound, seedCatalog } from '../../support/chat-fixtures.js';
import { openTestServices, type TestServices } from '../../support/services.js';

let services: TestServices;
beforeEach(async () => { services = await openTestServices(); });
afterEach(() => services.close());

describe('chat cards as records', () => {
  it('owes a new finding its card and its round one summary, in the Content\'s channel over the Policy\'s', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { moonlit: { channel: 'C0MOONLIT1' }, orchard: {} } });
    const moon = await recordRound(pool, 'moonlit', 'r1', 2);
    const orchard = await recordRound(pool, 'orchard', 'r1', 1);
    expect((await findingById(pool, moon[0]!))).toMatchObject({ roundId: 'r1', version: 1 });
    const moonCard = await cardOf(pool, moon[0]!);
    expect(moonCard).toMatchObject({ state: 'pending', channel: 'C0MOONLIT1' });
    expect((await cardOf(pool, moon[1]!))?.summaryId).toBe(moonCard?.summaryId);
    expect(await cardOf(pool, orchard[0]!)).toMatchObject({ state: 'pending', channel: '#findings' });
    expect((await unpostedSummaries(pool, 'C0MOONLIT1')).map((s) => s.roundId)).toEqual(['r1']);
    expect((await channelsWithWork(pool)).sort()).toEqual(['#findings', 'C0MOONLIT1']);
    // Cards wait for their summary: the thread they go in must exist first.
    expect(await unpostedCards(pool, 'C0MOONLIT1')).toEqual([]);
    expect(await summaryView(pool, moonCard!.summaryId)).toMatchObject({ count: 2, takedown: { Available: 2 } });
  });

  it('does not owe a second card when a later round sees the same link again', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { moonlit: {} } });
    const [id] = await recordRound(pool, 'moonlit', 'r1', 1);
    const again = await recordFinding(pool, findingInput({ contentId: 'moonlit', url: 'https://streamfree.to/moonlit/r1/1', roundId: 'r2' }), { actor: 'monitor', reason: 'again' });
    expect(again.created).toBe(false);
    expect(again.finding).toMatchObject({ id, roundId: 'r1', rounds: 2 });
    const { rows } = await pool.query('select count(*)::int as n from chat_summaries');
    expect(rows[0].n).toBe(1);
  });

  it('skips the cards of a title no catalog object gives a channel, and reports that once', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { contents: { orchard: {} } });
    const [id] = await recordRound(pool, 'orchard', 'r1', 2);
    expect(await cardOf(pool, id!)).toMatchObject({ state: 'skipped' });
    expect(await channelsWithWork(pool)).toEqual([]);
    const skips = await takeUnreportedSkips(pool);
    expect(skips).toHaveLength(1);
    expect(skips[0]).toMatchObject({ contentId: 'orchard', cards: 2 });
    expect(skips[0]!.reason).toContain('channels.findings');
    expect(await takeUnreportedSkips(pool)).toEqual([]);
  });

  it('bumps the version and marks the posted card dirty on a status change, and tells who changed what since', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { orchard: {} } });
    const [id] = await recordRound(pool, 'orchard', 'r1', 1);
    const before = await cardView(pool, id!);
    await markCardPosted(pool, id!, { ts: '1.000001', version: 1, auditId: before!.auditId });
    expect(await cardOf(pool, id!)).toMatchObject({ state: 'posted', dirty: false, shownVersion: 1 });
    await setTakedownStatus(pool, id!, 'In Progress', { actor: 'slack:U0ALICE1', reason: 'notice sent' });
    expect((await findingById(pool, id!))?.version).toBe(2);
    expect(await cardOf(pool, id!)).toMatchObject({ dirty: true });
    const changes = await changesSince(pool, id!, before!.auditId);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ actor: 'slack:U0ALICE1', action: 'takedown-status', from: 'Available', to: 'In Progress', reason: 'notice sent' });
    expect(changes[0]!.at).toBeInstanceOf(Date);
    // A change that moves nothing leaves the version (and a button showing it) valid.
    await inTransaction(pool, (tx) => changeFindingStatus(tx, id!, { takedown: 'In Progress' }, { actor: 'bob', reason: 'again' }));
    expect((await findingById(pool, id!))?.version).toBe(2);
  });

  it('keeps a card that was rendered before a change dirty', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { orchard: {} } });
    const [id] = await recordRound(pool, 'orchard', 'r1', 1);
    await setTakedownStatus(pool, id!, 'Ignore', { actor: 'bob', reason: 'licensed' });
    // The poster rendered version 1 while the change landed: the card still owes an update.
    await markCardPosted(pool, id!, { ts: '1.000001', version: 1, auditId: 0 });
    expect(await cardOf(pool, id!)).toMatchObject({ state: 'posted', dirty: true });
  });
});
