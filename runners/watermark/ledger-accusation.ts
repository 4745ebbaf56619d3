/**
 * The ledger test in detection: when the blind decoder reads no valid payload, or reads one the
 * embed ledger does not name for this content under its key (averaging copies can forge a
 * valid-looking ID nobody colluded with), the recipients the ledger says hold copies are tested
 * against the leak's cell soft values (accusation.ts). It names a colluder or nothing: the chance
 * that it names any innocent is at most its bound.
 */
import type pg from 'pg';
import type { DetectionResult } from '../../native/index.js';
import { ledgerIdsUnderKey } from '../../core/db/embed-ledger.js';
import { accuse, DEFAULT_INNOCENT_BOUND, scoredAlignments } from './accusation.js';
import { keyCodewords } from './codewords.js';
import type { DetectionKey } from './detect.js';

export type LedgerTestReason = 'no valid blind payload' | 'blind ID not in the ledger';

export interface LedgerAccusation {
  /** Where the answer came from: the ledger test, never the blind decoder. */
  test: 'ledger';
  why: LedgerTestReason;
  /** The ID the blind decoder read and that was set aside, because the ledger does not name it. */
  blindWatermarkId?: number;
  /** Whose codewords were tested: the copies of this content (the leak's or original's input), or, with the content unknown, every copy under the key. */
  scope: 'content' | 'key';
  /** Bound on the chance that the test names any innocent (over every key and alignment tested). */
  innocentBound: number;
  /** Distinct recipients (watermark IDs) tested, over every key. */
  recipientsTested: number;
  /** The colluder named (the strongest that passed), if any. */
  colluder?: { watermarkId: number; keyId: string; t: number; threshold: number; p: number };
  /** Every recipient that passed, strongest first (the first is `colluder`). */
  accused: { watermarkId: number; keyId: string; t: number; p: number }[];
}

/** The ledger test's verdict in a sentence: "colluder named: X (…)" or "no ID (…)". */
export function ledgerVerdict(a: LedgerAccusation, name?: string): string {
  const bound = `ledger test over ${a.recipientsTested} recipient${a.recipientsTested === 1 ? '' : 's'} with copies${a.scope === 'content' ? ' of this content' : ' under the key'}, bound ${a.innocentBound.toExponential(0)}`;
  if (!a.colluder) return `no ID (${bound})`;
  return `colluder named: ${name ?? `watermark ID ${a.colluder.watermarkId}`} (watermark ID ${a.colluder.watermarkId}, t ${a.colluder.t.toFixed(1)} > ${a.colluder.threshold.toFixed(1)}, p ${a.colluder.p.toExponential(1)}; ${bound})`;
}

export interface LedgerTestInput {
  pool: Pick<pg.Pool, 'query'>;
  /** The blind detector's result per key it was read with. */
  results: readonly { key: DetectionKey; result: DetectionResult }[];
  /** The inputs (sha256) the leak's content was made from, when known; empty: every copy under each key. */
  inputSha256s: readonly string[];
  why: LedgerTestReason;
  blindWatermarkId?: number;
  innocentBound?: number;
}

/** Runs the ledger test over the keys whose copies the ledger records, the bound split between them. */
export async function ledgerTest(input: LedgerTestInput): Promise<LedgerAccusation> {
  const innocentBound = input.innocentBound ?? DEFAULT_INNOCENT_BOUND;
  const scope = input.inputSha256s.length > 0 ? 'content' : 'key';
  const perKey = [];
  for (const r of input.results) {
    const ids = await ledgerIdsUnderKey(input.pool, r.key.id, input.inputSha256s);
    const alignments = scoredAlignments(r.result);
    if (ids.length > 0 && alignments.length > 0) perKey.push({ ...r, ids, alignments });
  }
  const out: LedgerAccusation = {
    test: 'ledger', why: input.why, ...(input.blindWatermarkId !== undefined ? { blindWatermarkId: input.blindWatermarkId } : {}),
    scope, innocentBound, recipientsTested: new Set(perKey.flatMap((k) => k.ids)).size, accused: [],
  };
  for (const k of perKey) {
    const a = accuse({ alignments: k.alignments, ...keyCodewords(k.key.key, k.ids), innocentBound: innocentBound / perKey.length });
    // each key had its share of the bound: its p, for the whole test, is that many times larger
    const p = (x: { p: number }): number => Math.min(1, x.p * perKey.length);
    out.accused.push(...a.accused.map((x) => ({ watermarkId: x.watermarkId, keyId: k.key.id, t: x.t, p: p(x) })));
    const best = a.accused[0];
    if (best && (!out.colluder || best.t > out.colluder.t)) out.colluder = { watermarkId: best.watermarkId, keyId: k.key.id, t: best.t, threshold: a.threshold, p: p(best) };
  }
  out.accused.sort((x, y) => y.t - x.t);
  return out;
}
