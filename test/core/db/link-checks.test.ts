import { describe, expect, it } from 'vitest';
import { afterCheck, linkDue, type LinkCheckOutcome, type NoticeLink } from '../../../core/db/link-checks.js';

const NOW = new Date('2026-03-01T23:50:00Z');
const seq = (...outcomes: LinkCheckOutcome[]) => outcomes.map((outcome, i) => ({ outcome, reason: `${outcome} #${i + 1}` }));

describe('what a re-check leads to (the rule)', () => {
  it('completes on gone, whatever came before', () => {
    expect(afterCheck(seq('up', 'unknown', 'gone'), { count: 2, everyMinutes: 60 }, NOW)).toEqual({ do: 'complete', reason: 'link gone: gone #3' });
  });

  it('fails at the count-th up, and owes the next check everyMinutes later before that (across a day boundary)', () => {
    expect(afterCheck(seq('up'), { count: 3, everyMinutes: 1440 }, NOW)).toEqual({ do: 'again', runAt: new Date('2026-03-02T23:50:00Z'), upSoFar: 1, unknownInARow: 0 });
    expect(afterCheck(seq('up', 'up', 'up'), { count: 3, everyMinutes: 1440 }, NOW)).toEqual({ do: 'fail', reason: 'still up after 3 re-checks: up #3' });
    expect(afterCheck(seq('up'), { count: 1, everyMinutes: 5 }, NOW)).toEqual({ do: 'fail', reason: 'still up after 1 re-check: up #1' });
  });

  it('does not count unknowns as up, and gives up only after 3 × count of them in a row', () => {
    expect(afterCheck(seq('up', 'unknown', 'unknown'), { count: 2, everyMinutes: 10 }, NOW)).toMatchObject({ do: 'again', upSoFar: 1, unknownInARow: 2 });
    // An up between them starts the run of unknowns again.
    expect(afterCheck(seq('unknown', 'unknown', 'unknown', 'unknown', 'unknown', 'up', 'unknown'), { count: 2, everyMinutes: 10 }, NOW)).toMatchObject({ do: 'again', upSoFar: 1, unknownInARow: 1 });
    expect(afterCheck(seq('unknown', 'unknown', 'unknown', 'unknown', 'unknown', 'gone'), { count: 2, everyMinutes: 10 }, NOW)).toMatchObject({ do: 'complete' });
    const six = afterCheck(seq('unknown', 'unknown', 'unknown', 'unknown', 'unknown', 'unknown'), { count: 2, everyMinutes: 10 }, NOW);
    expect(six).toMatchObject({ do: 'fail' });
    expect(six.do === 'fail' && six.reason).toMatch(/^no answer that tells in 6 re-checks in a row \(the limit is 6\): unknown #1; unknown #2; unknown #3; unknown #4; unknown #5$/);
    expect(afterCheck(seq('unknown', 'unknown', 'unknown', 'unknown', 'unknown'), { count: 2, everyMinutes: 10 }, NOW)).toMatchObject({ do: 'again', unknownInARow: 5 });
  });
});

describe('which links of a notice its n-th re-check is owed (the rule)', () => {
  const link = (over: Partial<NoticeLink>): NoticeLink => ({
    findingId: 1, url: 'https://pirate.example/w/1', contentId: 'moonlit', evidence: {}, takedownStatus: 'In Progress', round: 1, current: true, earlier: [], lastCheck: 0, ...over,
  });

  it('owes the check to a link In Progress in the takedown the notice started, whose check is not recorded yet', () => {
    expect(linkDue(link({}), 1)).toEqual({ due: true });
    expect(linkDue(link({ round: 2, lastCheck: 2 }), 3)).toEqual({ due: true });
  });

  it('skips a link a person acted on, one the notice did not move, one taken down again since, and a check already recorded', () => {
    expect(linkDue(link({ takedownStatus: 'Ignore' }), 1)).toEqual({ due: false, skip: 'not-in-progress' });
    expect(linkDue(link({ round: null, current: false }), 1)).toEqual({ due: false, skip: 'not-moved-by-notice' });
    expect(linkDue(link({ current: false }), 2)).toEqual({ due: false, skip: 'later-takedown' });
    // The job run again after its commit: the check is there, so it is not counted twice.
    expect(linkDue(link({ lastCheck: 2 }), 2)).toEqual({ due: false, skip: 'already-recorded' });
  });
});
