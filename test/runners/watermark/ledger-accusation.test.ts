import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionResult } from '../../../native/index.js';
import { recordEmbeddedCopies } from '../../../core/db/embed-ledger.js';
import { keyCodewords } from '../../../runners/watermark/codewords.js';
import { ledgerTest, ledgerVerdict } from '../../../runners/watermark/ledger-accusation.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { seededRandom } from '../../support/seeded-random.js';
import { MARK_VERSION } from '../../../runners/watermark/embed.js';

const KEY = Buffer.from('5e'.repeat(32), 'hex');
// the ledger is append-only and shared by every run: a key and inputs of this run's own
const KEY_ID = randomBytes(8).toString('hex');
const INPUT = randomBytes(32).toString('hex');
const OTHER_INPUT = randomBytes(32).toString('hex');
let services: TestServices;

const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/** A blind result whose one alignment carries the average of `colluders`' copies (pilot at about 30 sigmas). */
function averaged(seed: number, colluders: number[]): DetectionResult {
  const r = seededRandom(seed);
  const { pilot, recipients } = keyCodewords(KEY, colluders);
  const cells = Float32Array.from({ length: 256 }, (_, i) => 0.6 * pilot[i]! + recipients.reduce((s, c) => s + (0.8 / colluders.length) * c.chips[i]!, 0) + 0.32 * gauss(r));
  return { found: false, confidence: 0, falseAlarmProbability: 1, pilotZ: 30, dataZ: 0, framesUsed: 480, framesWithMark: 0, periodX: 64, periodY: 64, hypotheses: 1, alignments: [{ pilotZ: 30, cells }] };
}

beforeAll(async () => {
  services = await openTestServices();
  // 30 sequential IDs' copies of one input, 10 of another, all under one key
  const copy = (id: number, input: string): Parameters<typeof recordEmbeddedCopies>[2][number] => ({
    watermarkId: id, keyId: KEY_ID, keyFingerprint: KEY_ID.repeat(4), inputPath: 'feature.mp4', inputSha256: input, outputPath: `out/${id}.mp4`, outputSha256: randomBytes(32).toString('hex'), markVersion: MARK_VERSION,
  });
  await recordEmbeddedCopies(services.db.pool, 'test', [
    ...Array.from({ length: 30 }, (_, i) => copy(7001 + i, INPUT)), ...Array.from({ length: 10 }, (_, i) => copy(7101 + i, OTHER_INPUT)),
  ]);
}, 60_000);

afterAll(async () => {
  await services?.close();
});

describe('the ledger test in detection', () => {
  it('names a colluder of an averaged copy from the recipients of this content, and says it was the ledger test', async () => {
    const a = await ledgerTest({ pool: services.db.pool, results: [{ key: { id: KEY_ID, key: KEY }, result: averaged(1, [7004, 7005]) }], inputSha256s: [INPUT], why: 'no valid blind payload' });
    expect(a).toMatchObject({ test: 'ledger', scope: 'content', recipientsTested: 30, innocentBound: 1e-6 });
    expect([7004, 7005]).toContain(a.colluder?.watermarkId);
    expect(a.accused.every((x) => x.watermarkId === 7004 || x.watermarkId === 7005)).toBe(true);
    expect(ledgerVerdict(a, 'northwind-vod')).toMatch(/^colluder named: northwind-vod \(watermark ID 700[45], .*ledger test over 30 recipients with copies of this content, bound 1e-6\)$/);
  });

  it('with the content unknown, tests every copy under the key', async () => {
    const a = await ledgerTest({ pool: services.db.pool, results: [{ key: { id: KEY_ID, key: KEY }, result: averaged(2, [7103, 7104, 7105]) }], inputSha256s: [], why: 'no valid blind payload' });
    expect(a.scope).toBe('key');
    expect(a.recipientsTested).toBe(40);
    expect([7103, 7104, 7105]).toContain(a.colluder?.watermarkId);
  });

  it('says no ID, never a neighbour, when the colluders are not among the recipients tested', async () => {
    // copies missing from the ledger leaked (IDs 7031 and 7032); this content's 7001..7030 overlap them on most cells
    const a = await ledgerTest({
      pool: services.db.pool, results: [{ key: { id: KEY_ID, key: KEY }, result: averaged(3, [7031, 7032]) }], inputSha256s: [INPUT], why: 'blind ID not in the ledger', blindWatermarkId: 7031,
    });
    expect(a).toMatchObject({ why: 'blind ID not in the ledger', blindWatermarkId: 7031, accused: [] });
    expect(a.colluder).toBeUndefined();
    const unmarked = await ledgerTest({ pool: services.db.pool, results: [{ key: { id: KEY_ID, key: KEY }, result: averaged(4, []) }], inputSha256s: [INPUT], why: 'no valid blind payload' });
    expect(unmarked.colluder).toBeUndefined();
    expect(ledgerVerdict(unmarked)).toBe('no ID (ledger test over 30 recipients with copies of this content, bound 1e-6)');
  });

  it('tests nothing under a key the ledger has no copies for', async () => {
    const a = await ledgerTest({ pool: services.db.pool, results: [{ key: { id: 'no-such-key', key: KEY }, result: averaged(5, [7004]) }], inputSha256s: [], why: 'no valid blind payload' });
    expect(a).toMatchObject({ recipientsTested: 0, accused: [] });
    expect(a.colluder).toBeUndefined();
  });
});
