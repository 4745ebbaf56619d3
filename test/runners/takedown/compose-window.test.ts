import { describe, expect, it } from 'vitest';
import { COMPOSE_MARGIN_MS, composeJobFor } from '../../../runners/takedown/worker.js';

describe('composeJobFor (the batch window of a takedown request)', () => {
  it('gives every request of one window the same pass, run the margin after the window ends', () => {
    const early = composeJobFor(new Date('2026-05-01T10:00:00.100Z'), 1, 'a');
    const late = composeJobFor(new Date('2026-05-01T10:00:00.900Z'), 1, 'b');
    expect(early.jobId).toBe(late.jobId);
    expect(early.delayMs).toBe(900 + COMPOSE_MARGIN_MS);
    expect(late.delayMs).toBe(100 + COMPOSE_MARGIN_MS);
    expect(COMPOSE_MARGIN_MS).toBeLessThan(1000);
  });

  it('gives the next window another pass, and each request its own with no wait', () => {
    expect(composeJobFor(new Date('2026-05-01T10:00:01.000Z'), 1, 'a').jobId).not.toBe(composeJobFor(new Date('2026-05-01T10:00:00.999Z'), 1, 'a').jobId);
    expect(composeJobFor(new Date('2026-05-01T10:00:00.500Z'), 0, 'job-7')).toEqual({ jobId: 'compose-after-job-7', delayMs: 0 });
    expect(composeJobFor(new Date('2026-05-01T10:00:30.000Z'), 60, 'a')).toEqual({ jobId: `compose-60000-${Math.floor(Date.parse('2026-05-01T10:00:30.000Z') / 60000)}`, delayMs: 30_000 + COMPOSE_MARGIN_MS });
  });
});
