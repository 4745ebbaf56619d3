import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actOnFinding, actOnFindings, auditRefusal, takedownHeldForDetection, takedownNeedsOverride, whatActionDoes, type ActionSubject } from '../../../core/db/finding-actions.js';
import { recordFinding, setDetectionStatus, setTakedownStatus, type FindingInput } from '../../../core/db/findings.js';
import { outboxRows } from '../../../core/db/outbox.js';
import { findingDetectionJob, takedownJob, takedownRequestJob } from '../../../core/queues.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { applyCatalog, contentDoc } from '../../support/applied-catalog.js';
import { openTestServices, type TestServices } from '../../support/services.js';

const subject = (over: Partial<ActionSubject> = {}): ActionSubject => ({ id: 7, version: 1, takedownStatus: 'Available', detectionStatus: 'Available', ...over });
const WATERMARKED = { watermarked: true };
const PLAIN = { watermarked: false };

describe('what an action on a finding does (the rule)', () => {
  it('requests a takedown with its takedown job, numbered after the requests before it', () => {
    expect(whatActionDoes(subject({ detectionStatus: 'Not Available' }), PLAIN, 'takedown', false)).toEqual({ do: { takedown: 'Takedown requested' }, jobs: [takedownJob(7, 1)] });
    expect(whatActionDoes(subject({ takedownStatus: 'Failed' }), PLAIN, 'takedown', false, { takedownRequests: 2 })).toEqual({ do: { takedown: 'Takedown requested' }, jobs: [takedownJob(7, 3)] });
    expect(takedownJob(7, 3).jobId).not.toBe(takedownJob(7, 2).jobId);
  });

  it('changes nothing when a takedown is already requested, under way or complete', () => {
    for (const status of ['Takedown requested', 'In Progress', 'Complete'] as const) {
      expect(whatActionDoes(subject({ takedownStatus: status }), PLAIN, 'takedown', false)).toEqual({ unchanged: `already ${status}` });
    }
  });

  it('refuses to take down watermarked content before detection completed unless overridden', () => {
    const rule = whatActionDoes(subject({ detectionStatus: 'Available' }), WATERMARKED, 'takedown', false);
    expect(rule).toMatchObject({ refused: expect.stringMatching(/watermarked and detection has not completed \(detection Available\).*override/) });
    expect(whatActionDoes(subject({ detectionStatus: 'Detecting' }), WATERMARKED, 'takedown', true)).toMatchObject({ do: { takedown: 'Takedown requested' } });
    expect(whatActionDoes(subject({ detectionStatus: 'Completed' }), WATERMARKED, 'takedown', false)).toMatchObject({ do: { takedown: 'Takedown requested' } });
    // Detection that ended in any final state, completed or declined, leaves nothing to lose.
    for (const ended of ['Failed', 'Error', 'Canceled', 'Not Available'] as const) expect(takedownNeedsOverride({ detectionStatus: ended }, WATERMARKED)).toBe(false);
    for (const open of ['Available', 'Downloading', 'Detecting'] as const) expect(takedownNeedsOverride({ detectionStatus: open }, WATERMARKED)).toBe(true);
    expect(takedownNeedsOverride({ detectionStatus: 'Available' }, PLAIN)).toBe(false);
  });

  it('ignores an open finding or a requested takedown not yet sent, but not one whose notice went out', () => {
    expect(whatActionDoes(subject(), PLAIN, 'ignore', false)).toEqual({ do: { takedown: 'Ignore' }, jobs: [] });
    expect(whatActionDoes(subject({ takedownStatus: 'Takedown requested' }), PLAIN, 'ignore', false)).toEqual({ do: { takedown: 'Ignore' }, jobs: [] });
    expect(whatActionDoes(subject({ takedownStatus: 'Ignore' }), PLAIN, 'ignore', false)).toEqual({ unchanged: 'already Ignore' });
    expect(whatActionDoes(subject({ takedownStatus: 'In Progress' }), PLAIN, 'ignore', false)).toMatchObject({ refused: expect.stringMatching(/notice has already gone out \(In Progress\)/) });
    expect(whatActionDoes(subject({ takedownStatus: 'Complete' }), PLAIN, 'ignore', false)).toMatchObject({ refused: expect.stringMatching(/\(Complete\)/) });
  });

  it('starts detection with its detect job only on watermarked content whose link is up', () => {
    expect(whatActionDoes(subject(), WATERMARKED, 'detect', false)).toEqual({ do: { detection: 'Downloading' }, jobs: [findingDetectionJob(7, 2)] });
    expect(whatActionDoes(subject({ detectionStatus: 'Failed' }), WATERMARKED, 'detect', false)).toMatchObject({ do: { detection: 'Downloading' } });
    expect(whatActionDoes(subject(), PLAIN, 'detect', false)).toMatchObject({ refused: expect.stringMatching(/not watermarked/) });
    expect(whatActionDoes(subject({ takedownStatus: 'Complete' }), WATERMARKED, 'detect', false)).toMatchObject({ refused: expect.stringMatching(/link is already down/) });
    expect(whatActionDoes(subject({ detectionStatus: 'Detecting' }), WATERMARKED, 'detect', false)).toEqual({ unchanged: 'detection already under way (Detecting)' });
    expect(whatActionDoes(subject({ detectionStatus: 'Completed' }), WATERMARKED, 'detect', false)).toEqual({ unchanged: 'detection already Completed' });
  });
});

describe('actOnFinding against PostgreSQL', () => {
  let services: TestServices;
  let counter = 0;
  beforeAll(async () => {
    services = await openTestServices();
    await applyCatalog(services.db.pool, contentDoc('marked', { watermarked: true }), contentDoc('plain'),
      'apiVersion: vigil/v1\nkind: MonitoringJob\nmetadata:\n  id: marked-auto\nspec:\n  content: marked\n  takedown: automatic\n  detection: automatic\n',
      'apiVersion: vigil/v1\nkind: MonitoringJob\nmetadata:\n  id: marked-manual\nspec:\n  content: marked\n  takedown: manual\n');
  });
  afterAll(() => services.close());

  const newFinding = async (contentId: string, over: Partial<FindingInput> = {}) => {
    counter += 1;
    const url = `https://leaks.example/${contentId}/${counter}`;
    const input: FindingInput = {
      contentId, url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: contentId, source: 'web', score: 10, evidence: {},
      takedownStatus: 'Available', detectionStatus: contentId === 'marked' ? 'Available' : 'Not Available', ...over,
    };
    return (await recordFinding(services.db.pool, input, { actor: 'test', reason: 'fixture' })).finding.id;
  };
  const audit = async (id: number) => (await services.db.pool.query<{ actor: string; action: string; reason: string; details: Record<string, unknown> }>(
    `select actor, action, reason, details from audit_log where object_kind = 'Finding' and object_id = $1 and action <> 'finding-created' order by id`, [String(id)])).rows;
  const jobsFor = async (id: number) => (await outboxRows(services.db.pool)).filter((r) => (r.payload as { findingId?: number }).findingId === id);
  const by = (actor: string, override = false) => ({ actor, reason: 'clicked in Slack', override, via: 'slack-button' });

  it('requests the takedown an automatic job held for detection once detection ended, and nothing else', async () => {
    const held = await newFinding('marked', { monitoringJobId: 'marked-auto', detectionStatus: 'Detecting' });
    expect(await takedownHeldForDetection(services.db.pool, held)).toBeUndefined(); // detection still running
    await setDetectionStatus(services.db.pool, held, 'Completed', { actor: 'detector', reason: 'watermark ID 4242 found' });
    expect(await takedownHeldForDetection(services.db.pool, held)).toMatchObject({ outcome: 'done', to: { takedown: 'Takedown requested' } });
    expect((await audit(held)).filter((r) => r.action === 'takedown-status').map((r) => r.actor)).toEqual(['automation']);
    expect(await takedownHeldForDetection(services.db.pool, held)).toBeUndefined(); // once
    // No mark found (Failed), the copy not detectable (Error), stopped (Canceled): detection ended too.
    for (const ended of ['Failed', 'Error', 'Canceled'] as const) {
      const f = await newFinding('marked', { monitoringJobId: 'marked-auto', detectionStatus: 'Detecting' });
      await setDetectionStatus(services.db.pool, f, ended, { actor: 'detector', reason: `detection ${ended}` });
      expect(await takedownHeldForDetection(services.db.pool, f), ended).toMatchObject({ outcome: 'done', to: { takedown: 'Takedown requested' } });
    }
    const manual = await newFinding('marked', { monitoringJobId: 'marked-manual', detectionStatus: 'Completed' });
    expect(await takedownHeldForDetection(services.db.pool, manual)).toBeUndefined();
    const ignored = await newFinding('marked', { monitoringJobId: 'marked-auto', detectionStatus: 'Not Available' });
    await actOnFinding(services.db.pool, ignored, 'ignore', by('slack:UALICE'));
    expect(await takedownHeldForDetection(services.db.pool, ignored)).toBeUndefined();
  });

  it('changes the finding once and writes one takedown job when two people act at the same moment', async () => {
    const id = await newFinding('plain');
    const outcomes = await Promise.all([actOnFinding(services.db.pool, id, 'takedown', by('slack:UALICE')), actOnFinding(services.db.pool, id, 'takedown', by('slack:UBOB'))]);
    const done = outcomes.filter((o) => o.outcome === 'done');
    const unchanged = outcomes.filter((o) => o.outcome === 'unchanged');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ from: { takedown: 'Available' }, to: { takedown: 'Takedown requested' } });
    expect(unchanged).toHaveLength(1);
    const winner = (await audit(id)).find((r) => r.action === 'takedown-status')!;
    expect(unchanged[0]).toMatchObject({ why: 'already Takedown requested', by: { actor: winner.actor } });
    expect((await jobsFor(id)).map((j) => j.jobId)).toEqual([takedownJob(id, 1).jobId]);
    const rows = await audit(id);
    expect(rows.filter((r) => r.action === 'takedown-status')).toEqual([
      { actor: winner.actor, action: 'takedown-status', reason: 'clicked in Slack', details: { action: 'takedown', override: false, via: 'slack-button', from: 'Available', to: 'Takedown requested' } },
    ]);
    expect(rows.filter((r) => r.action === 'finding-action-unchanged')).toHaveLength(1);
  });

  it('lets a takedown be requested again after it failed, as a new job', async () => {
    const id = await newFinding('plain');
    await actOnFinding(services.db.pool, id, 'takedown', by('slack:UALICE'));
    await setTakedownStatus(services.db.pool, id, 'Failed', { actor: 'takedown', reason: 'notice bounced' });
    expect(await actOnFinding(services.db.pool, id, 'takedown', by('slack:UALICE'))).toMatchObject({ outcome: 'done', from: { takedown: 'Failed' } });
    expect((await jobsFor(id)).map((j) => j.jobId)).toEqual([takedownJob(id, 1).jobId, takedownJob(id, 2).jobId]);
  });

  it('refuses a takedown of watermarked content before detection without the override, and audits it; the override is noted', async () => {
    const id = await newFinding('marked');
    expect(await actOnFinding(services.db.pool, id, 'takedown', by('slack:UALICE'))).toMatchObject({ outcome: 'refused', why: expect.stringMatching(/watermarked/) });
    expect(await jobsFor(id)).toEqual([]);
    expect(await actOnFinding(services.db.pool, id, 'takedown', by('slack:UALICE', true))).toMatchObject({ outcome: 'done', to: { takedown: 'Takedown requested' } });
    const rows = await audit(id);
    expect(rows.map((r) => r.action)).toEqual(['finding-action-refused', 'takedown-status']);
    expect(rows[1]!.details).toMatchObject({ override: true });
  });

  it('starts detection with its detect job in the outbox, and ignores', async () => {
    const marked = await newFinding('marked');
    expect(await actOnFinding(services.db.pool, marked, 'detect', by('slack:UALICE'))).toMatchObject({ outcome: 'done', to: { detection: 'Downloading' } });
    expect((await jobsFor(marked)).map((j) => [j.queue, j.jobId])).toEqual([['detect', findingDetectionJob(marked, 2).jobId]]);
    // Detection that ended in Error may be asked for again: a new job, not the finished one BullMQ keeps.
    await setDetectionStatus(services.db.pool, marked, 'Error', { actor: 'detector', reason: 'download timed out' });
    expect(await actOnFinding(services.db.pool, marked, 'detect', by('slack:UALICE'))).toMatchObject({ outcome: 'done', to: { detection: 'Downloading' } });
    expect((await jobsFor(marked)).map((j) => j.jobId)).toEqual([findingDetectionJob(marked, 2).jobId, findingDetectionJob(marked, 4).jobId]);
    const plain = await newFinding('plain');
    expect(await actOnFinding(services.db.pool, plain, 'detect', by('slack:UALICE'))).toMatchObject({ outcome: 'refused', why: expect.stringMatching(/not watermarked/) });
    expect(await actOnFinding(services.db.pool, plain, 'ignore', by('slack:UALICE'))).toMatchObject({ outcome: 'done', to: { takedown: 'Ignore' } });
    expect(await jobsFor(plain)).toEqual([]);
  });

  it('appends nothing more when the same request is done again, and says the change was its own', async () => {
    const id = await newFinding('plain');
    const once = { ...by('slack:UALICE'), request: 'job-1' };
    expect(await actOnFinding(services.db.pool, id, 'ignore', once)).toMatchObject({ outcome: 'done' });
    expect(await actOnFinding(services.db.pool, id, 'ignore', once)).toMatchObject({ outcome: 'unchanged', by: { actor: 'slack:UALICE', request: 'job-1' } });
    expect((await audit(id)).map((r) => r.action)).toEqual(['takedown-status']);
    await auditRefusal(services.db.pool, { actor: 'slack:UEVE', action: 'takedown', findingId: id, reason: 'not an approver', request: 'job-2' });
    await auditRefusal(services.db.pool, { actor: 'slack:UEVE', action: 'takedown', findingId: id, reason: 'not an approver', request: 'job-2' });
    expect((await audit(id)).map((r) => r.action)).toEqual(['takedown-status', 'slack-action-refused']);
  });

  it('says a finding that does not exist is unknown, and audits refusals', async () => {
    expect(await actOnFinding(services.db.pool, 999_999, 'ignore', by('slack:UALICE'))).toEqual({ outcome: 'unknown', action: 'ignore', findingId: 999_999 });
    const id = await newFinding('plain');
    await auditRefusal(services.db.pool, { actor: 'slack:UEVE', action: 'takedown', findingId: id, reason: 'Take down needs a takedown approver' });
    expect(await audit(id)).toEqual([{ actor: 'slack:UEVE', action: 'slack-action-refused', reason: 'Take down needs a takedown approver', details: { action: 'takedown' } }]);
  });
});

describe('actOnFindings (bulk) against PostgreSQL', () => {
  let services: TestServices;
  let counter = 0;
  beforeAll(async () => {
    services = await openTestServices();
    await applyCatalog(services.db.pool, contentDoc('marked', { watermarked: true }), contentDoc('plain'));
  });
  afterAll(() => services.close());

  const newFinding = async (contentId: string, over: Partial<FindingInput> = {}) => {
    counter += 1;
    const url = `https://bulk.example/${contentId}/${counter}`;
    return (await recordFinding(services.db.pool, {
      contentId, url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: contentId, source: 'web', score: 10, evidence: {},
      takedownStatus: 'Available', detectionStatus: contentId === 'marked' ? 'Available' : 'Not Available', ...over,
    }, { actor: 'test', reason: 'fixture' })).finding.id;
  };
  const auditOf = async (ids: number[]) => (await services.db.pool.query<{ object_id: string; actor: string; action: string; reason: string; details: Record<string, unknown> }>(
    `select object_id, actor, action, reason, details from audit_log where object_kind = 'Finding' and object_id = any($1::text[]) and action <> 'finding-created' order by id`,
    [ids.map(String)])).rows;
  // The outbox rows that name any of the findings: a single one's 'finding' job or a batch's 'request' job.
  const jobsOf = async (ids: number[]) => (await outboxRows(services.db.pool)).filter((r) => {
    const p = r.payload as { findingId?: number; findingIds?: number[] };
    return ids.includes(p.findingId ?? -1) || (p.findingIds ?? []).some((id) => ids.includes(id));
  });
  const requested = (jobs: Awaited<ReturnType<typeof jobsOf>>) => jobs.flatMap((j) => (j.payload as { findingIds?: number[] }).findingIds ?? [(j.payload as { findingId: number }).findingId]).sort((a, b) => a - b);
  const automation = { actor: 'automation', reason: "automatic takedown (the monitoring job's takedown: automatic)", override: false };

  it('applies the rule to each finding of a batch: done, refused, unchanged and unknown side by side, in the order asked', async () => {
    const plain = [await newFinding('plain'), await newFinding('plain'), await newFinding('plain')];
    const marked = await newFinding('marked'); // watermarked, detection not completed: refused without the override
    const requested = await newFinding('plain');
    await actOnFinding(services.db.pool, requested, 'takedown', { ...automation, actor: 'slack:UALICE', reason: 'clicked' });
    const asked = [plain[2]!, marked, 999_998, requested, plain[0]!, plain[1]!];
    const outcomes = await actOnFindings(services.db.pool, asked, 'takedown', automation);
    expect(outcomes.map((o) => o.outcome)).toEqual(['done', 'refused', 'unknown', 'unchanged', 'done', 'done']);
    expect(outcomes.map((o) => ('finding' in o ? o.finding.id : o.findingId))).toEqual(asked);
    expect(outcomes[1]).toMatchObject({ why: expect.stringMatching(/watermarked and detection has not completed/) });
    expect(outcomes[3]).toMatchObject({ why: 'already Takedown requested', by: { actor: 'slack:UALICE' } });
    for (const i of [0, 4, 5]) expect(outcomes[i]).toMatchObject({ from: { takedown: 'Available' }, to: { takedown: 'Takedown requested' }, finding: { takedownStatus: 'Takedown requested' } });
  });

  it('leaves one audit row per finding (who, what, why) and one outbox job for the batch naming every finding it changed', async () => {
    const ids = await Promise.all(Array.from({ length: 40 }, () => newFinding('plain')));
    const marked = await newFinding('marked');
    await actOnFindings(services.db.pool, [...ids, marked], 'takedown', automation);
    const rows = await auditOf([...ids, marked]);
    for (const id of ids) {
      expect(rows.filter((r) => r.object_id === String(id))).toEqual([{
        object_id: String(id), actor: 'automation', action: 'takedown-status', reason: automation.reason,
        details: { action: 'takedown', override: false, from: 'Available', to: 'Takedown requested' },
      }]);
    }
    expect(rows.filter((r) => r.object_id === String(marked))).toEqual([expect.objectContaining({ actor: 'automation', action: 'finding-action-refused', details: expect.objectContaining({ why: expect.stringMatching(/watermarked/) }) })]);
    const jobs = await jobsOf([...ids, marked]);
    expect(jobs.map((j) => [j.queue, j.name])).toEqual([['takedown', 'request']]);
    expect(jobs[0]!.jobId).toBe(takedownRequestJob(ids.map((id) => ({ findingId: id, request: 1 }))).jobId);
    expect(requested(jobs)).toEqual([...ids].sort((a, b) => a - b));
    // Each changed finding's version moved once, as a single change would move it.
    const { rows: versions } = await services.db.pool.query<{ version: number }>('select version from findings where id = any($1::bigint[])', [ids]);
    expect(new Set(versions.map((v) => v.version))).toEqual(new Set([2]));
  });

  it('is idempotent: the same batch again changes nothing, writes no job, and with a request id appends nothing', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, () => newFinding('plain')));
    const once = { ...automation, request: 'round-42' };
    expect((await actOnFindings(services.db.pool, ids, 'takedown', once)).every((o) => o.outcome === 'done')).toBe(true);
    const auditBefore = await auditOf(ids);
    const jobsBefore = await jobsOf(ids);
    const again = await actOnFindings(services.db.pool, ids, 'takedown', once);
    expect(again.map((o) => o.outcome)).toEqual(ids.map(() => 'unchanged'));
    expect(again[0]).toMatchObject({ by: { actor: 'automation', request: 'round-42' } });
    expect(await auditOf(ids)).toEqual(auditBefore);
    expect(await jobsOf(ids)).toEqual(jobsBefore);
    // Without a request id a repeat is a new action, audited as unchanged once per finding.
    await actOnFindings(services.db.pool, ids, 'takedown', automation);
    expect((await auditOf(ids)).filter((r) => r.action === 'finding-action-unchanged')).toHaveLength(ids.length);
    expect(await jobsOf(ids)).toEqual(jobsBefore);
  });

  it('changes each finding once when two overlapping batches run at the same moment', async () => {
    const ids = await Promise.all(Array.from({ length: 30 }, () => newFinding('plain')));
    const [a, b] = await Promise.all([
      actOnFindings(services.db.pool, ids.slice(0, 20), 'takedown', automation),
      actOnFindings(services.db.pool, [...ids.slice(10)].reverse(), 'takedown', { ...automation, actor: 'slack:UBOB' }),
    ]);
    const done = [...a!, ...b!].filter((o) => o.outcome === 'done');
    expect(done).toHaveLength(30);
    // Each finding named by exactly one of the two batches' jobs.
    expect(requested(await jobsOf(ids))).toEqual([...ids].sort((x, y) => x - y));
    expect((await auditOf(ids)).filter((r) => r.action === 'takedown-status')).toHaveLength(30);
  });

  it('owes a single finding its own takedown job, and a batch re-requested after Failed a new job', async () => {
    const one = await newFinding('plain');
    await actOnFindings(services.db.pool, [one], 'takedown', automation);
    expect((await jobsOf([one])).map((j) => j.jobId)).toEqual([takedownJob(one, 1).jobId]);
    const ids = [await newFinding('plain'), await newFinding('plain')];
    await actOnFindings(services.db.pool, ids, 'takedown', automation);
    for (const id of ids) await setTakedownStatus(services.db.pool, id, 'Failed', { actor: 'takedown', reason: 'notice bounced' });
    await actOnFindings(services.db.pool, ids, 'takedown', automation);
    expect((await jobsOf(ids)).map((j) => j.jobId)).toEqual([
      takedownRequestJob(ids.map((id) => ({ findingId: id, request: 1 }))).jobId, takedownRequestJob(ids.map((id) => ({ findingId: id, request: 2 }))).jobId,
    ]);
  });

  it('does Ignore and Detect in bulk by the same rule', async () => {
    const marked = [await newFinding('marked'), await newFinding('marked')];
    const plain = await newFinding('plain');
    const detect = await actOnFindings(services.db.pool, [...marked, plain], 'detect', automation);
    expect(detect.map((o) => o.outcome)).toEqual(['done', 'done', 'refused']);
    expect((await jobsOf(marked)).map((j) => j.jobId).sort()).toEqual(marked.map((id) => findingDetectionJob(id, 2).jobId).sort());
    const ignore = await actOnFindings(services.db.pool, [plain, ...marked], 'ignore', automation);
    expect(ignore.map((o) => o.outcome)).toEqual(['done', 'done', 'done']);
  });
});
