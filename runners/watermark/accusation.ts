/**
 * Informed (ledger-aware) accusation, pure: which of the recipients the embed ledger says received
 * a copy does a leak's mark point at? The blind decoder reads one payload from the cell soft values;
 * a leak averaged or spliced from several copies carries a mixture of codewords, which may decode to
 * nothing or, by a 2^-24 chance per attempt, to a valid-looking ID nobody colluded with. Here every
 * ledger recipient's codeword is tested against the soft values instead, with a threshold set from
 * the null distribution, so the chance of naming any innocent is bounded.
 *
 * Only the keyed bits are scored (keyed-bits.ts): the coded bits the payload's keyed check enters,
 * on which any two distinct IDs agree by chance only. On the other bits IDs that share payload bits
 * (sequential IDs share their leading ones) share chips, so an innocent whose codeword overlaps a
 * colluder's would score with the colluder's signal, and no fit can take that out when the colluder
 * is missing from the fit or from the ledger (what sank the first wiring of this test).
 *
 * The test (per alignment the detector read, per tested candidate j), on the keyed bits: a
 * least-squares fit of the bit values on the key's pilot and the data chips of the other strongest
 * candidates (the "explaining set": whoever else may be in the mix), then the Student t of adding
 * j's chips. Under the null "j is not in the leak" j's chips agree with every other codeword, and
 * so with the residual, by chance only: a colluder's signal that the fit leaves out is more noise
 * in the residual, which the t's variance estimate includes. So t follows Student's t with n - p
 * degrees of freedom (cell noise taken as independent, roughly Gaussian: the detector clips the
 * residual at 3 sigma before folding), and P(any innocent accused) <= tests x P(T > threshold) with
 * tests = alignments x ledger recipients (a union bound over every candidate, tested or not, which
 * also covers the data-dependent choice of whom to test). test/runners/watermark/accusation.test.ts
 * checks it by simulation with real codewords of sequential IDs, colluders in the ledger or not.
 *
 * Two refinements (bench:watermark-accusation-sim measures both against the first test): the
 * noise variance is pooled with the shared cells' residual after the pilot and the explaining set
 * (about 230 degrees of freedom instead of 70: the threshold drops from about 6.5 to 6.0), and each
 * candidate is fitted given every other candidate tested, not the explaining set alone, since a
 * colluder too faint to join the explaining set otherwise lends its signal to an innocent whose
 * keyed chips agree with its by chance (with 200 recipients some agree at r 0.4).
 */
import { perBit, type KeyedBit } from './keyed-bits.js';

/** The default bound on the chance that a detection names any innocent recipient. */
export const DEFAULT_INNOCENT_BOUND = 1e-6;
/** Recipients fitted besides the one tested: the test holds for up to this many colluders. */
export const EXPLAINING_SET = 15;
/** A recipient joins the explaining set only when its own correlation stands at least this far out. */
const MIN_EXPLAINING_Z = 3;
/** How many of the strongest candidates are tested (the rest cannot pass where these do not). */
const TESTED = 8;

export interface AlignmentSoft {
  /** The pilot's peak at this alignment (sigmas); reported, not used in the test. */
  pilotZ: number;
  /** Cell soft values, tile cell order (the detector's `alignments[].cells`). */
  cells: ArrayLike<number>;
}

export interface LedgerCodeword {
  watermarkId: number;
  /** The data chips of its payload per cell (±1, same order as the cells). */
  chips: ArrayLike<number>;
}

export interface AccusationInput {
  alignments: readonly AlignmentSoft[];
  /** The key's pilot chips per cell (±1). */
  pilot: ArrayLike<number>;
  /** The key's keyed bits (keyedBits): what is scored. */
  bits: readonly KeyedBit[];
  /** Every recipient with a copy of this content under this key; distinct IDs. */
  recipients: readonly LedgerCodeword[];
  /** Bound on P(any innocent named) for this detection (default 1e-6). */
  innocentBound?: number;
  /** Pool the noise variance with the shared cells' (default true); false: the keyed bits' alone, the first test, a bench baseline. */
  pooledVariance?: boolean;
}

export interface AccusedRecipient {
  watermarkId: number;
  /** Student t of its codeword given the pilot and the explaining set. */
  t: number;
  /** Which alignment it was found at (index into the input). */
  alignment: number;
  /** Union-bound p: tests x P(T > t), the chance that any innocent scores this high. */
  p: number;
}

export interface Accusation {
  /** Recipients whose t passed the threshold, strongest first (at most one per ID). */
  accused: AccusedRecipient[];
  /** Every candidate tested (the strongest by correlation), best alignment per ID, strongest first: the margins. */
  tested: AccusedRecipient[];
  threshold: number;
  /** Union-bound count: alignments x recipients. */
  tests: number;
  innocentBound: number;
}

/**
 * The alignments worth scoring from a blind result: the best pilot peak (chosen by the pilot alone,
 * so no data-dependent choice), and, when a payload decoded at another candidate, that one. Each
 * one more counts in the union bound, so the detector's weaker candidates are left out.
 */
export function scoredAlignments<A>(result: { found: boolean; alignments?: readonly A[] }): A[] {
  const all = result.alignments ?? [];
  if (all.length === 0) return [];
  return result.found && all.length > 1 ? [all[0]!, all[all.length - 1]!] : [all[0]!];
}

/** Accuses the ledger recipients whose codewords the leak's cell values carry; see the module comment. */
export function accuse(input: AccusationInput): Accusation {
  const innocentBound = input.innocentBound ?? DEFAULT_INNOCENT_BOUND;
  if (!(innocentBound > 0 && innocentBound < 1)) throw new RangeError('innocentBound must be in (0, 1)');
  const cells = input.pilot.length;
  const n = input.bits.length;
  const tests = input.alignments.length * input.recipients.length;
  const out: Accusation = { accused: [], tested: [], threshold: Infinity, tests, innocentBound };
  if (tests === 0) return out;
  const explaining = Math.min(EXPLAINING_SET, input.recipients.length - 1);
  const keyed = new Set(input.bits.flatMap((b) => b.cells));
  const shared = Array.from({ length: cells }, (_, i) => i).filter((i) => !keyed.has(i));
  // the fullest models: pilot + explaining set + the tested one on the keyed bits; pilot +
  // explaining set on the shared cells (their ranks are at most these, so the t's true degrees of
  // freedom at least df: a threshold at df is the conservative one)
  const pool = input.pooledVariance ?? true;
  const keyedDf = n - (explaining + TESTED + 1);
  const sharedDf = pool ? Math.max(0, shared.length - (explaining + 1)) : 0;
  if (keyedDf < 8) throw new RangeError(`too few keyed bits (${n}) for ${explaining + TESTED + 1} regressors`);
  const df = keyedDf + sharedDf;
  out.threshold = studentThreshold(innocentBound / tests, df);
  // joining the explaining set takes a Bonferroni 1 % over the ledger: noise seldom gets in
  const explainingZ = Math.max(MIN_EXPLAINING_Z, studentThreshold(0.01 / input.recipients.length, keyedDf));
  // a bit held by two cells is their mean, of half a cell's noise variance: weighted by sqrt(cells)
  // every row has one cell's variance, as the shared cells' rows do, so the two pool
  const weight = Float64Array.from(input.bits, (b) => Math.sqrt(b.cells.length));
  const weighted = (v: ArrayLike<number>): Float64Array => perBit(v, input.bits).map((x, i) => x * weight[i]!);
  const onShared = (v: ArrayLike<number>): Float64Array => Float64Array.from(shared, (i) => v[i]!);
  const pilot = weighted(input.pilot);
  const recipients = input.recipients.map((r) => ({ watermarkId: r.watermarkId, chips: weighted(r.chips) }));
  const best = new Map<number, AccusedRecipient>();
  input.alignments.forEach((al, ai) => {
    if (al.cells.length !== cells) throw new RangeError(`alignment ${ai} has ${al.cells.length} cells, the pilot ${cells}`);
    const y = weighted(al.cells);
    const ranked = rankByCorrelation(y, pilot, recipients);
    const E = explainingSet(y, pilot, recipients, explainingZ, explaining);
    const candidates = [...new Set([...ranked.slice(0, TESTED).map((k) => k.index), ...E])];
    // The noise variance from the shared cells too: what the pilot and the explaining set's chips
    // (chosen from the keyed bits alone, so independently of these cells' noise) leave there is
    // noise, plus the signal of any colluder left out (a larger estimate: a smaller t). Scored
    // there, a colluder's neighbours would share its chips; used for the variance only, they add
    // degrees of freedom and so lower the threshold. The tested candidates are NOT fitted there:
    // an innocent next to a colluder the ledger lacks (or the fit left out) shares its chips on
    // these cells, and fitting it would take that colluder's signal out of the shared residual
    // while it stays in the keyed one: too small a variance, innocents named (0.18 at bound 0.01
    // in accusation.test.ts's missing-colluders case when the candidates were fitted).
    const noise = pool
      ? residualRank(onShared(al.cells), [onShared(input.pilot), ...E.map((k) => onShared(input.recipients[k]!.chips))])
      : { rss: 0, rank: shared.length };
    for (const j of candidates) {
      // every other candidate fitted too: a colluder too faint for the explaining set is still
      // among the strongest, and an innocent whose chips agree with its by chance must not score
      // with its signal
      const others = candidates.filter((k) => k !== j);
      const t = partialT(y, [pilot, ...others.map((k) => recipients[k]!.chips)], recipients[j]!.chips, { rss: noise.rss, df: shared.length - noise.rank });
      const id = recipients[j]!.watermarkId;
      const prev = best.get(id);
      if (!prev || t > prev.t) best.set(id, { watermarkId: id, t, alignment: ai, p: Math.min(1, tests * studentTail(Math.max(0, t), df)) });
    }
  });
  out.tested = [...best.values()].sort((a, b) => b.t - a.t);
  out.accused = out.tested.filter((a) => a.t > out.threshold);
  return out;
}

/**
 * y's residual sum of squares after its least-squares fit on the columns X, and the columns' rank
 * (modified Gram-Schmidt; a column the others span, as sequential IDs' chips on the shared cells
 * nearly are, adds nothing and costs no degree of freedom).
 */
export function residualRank(y: ArrayLike<number>, X: readonly ArrayLike<number>[]): { rss: number; rank: number } {
  const r = Float64Array.from(y);
  const basis: Float64Array[] = [];
  for (const col of X) {
    const q = Float64Array.from(col);
    const norm0 = Math.sqrt(q.reduce((s, v) => s + v * v, 0));
    for (const b of basis) {
      let d = 0;
      for (let i = 0; i < q.length; i++) d += b[i]! * q[i]!;
      for (let i = 0; i < q.length; i++) q[i]! -= d * b[i]!;
    }
    const norm = Math.sqrt(q.reduce((s, v) => s + v * v, 0));
    if (!(norm > 1e-6 * Math.max(1, norm0))) continue;
    for (let i = 0; i < q.length; i++) q[i]! /= norm;
    basis.push(q);
  }
  for (const b of basis) {
    let d = 0;
    for (let i = 0; i < r.length; i++) d += b[i]! * r[i]!;
    for (let i = 0; i < r.length; i++) r[i]! -= d * b[i]!;
  }
  return { rss: r.reduce((s, v) => s + v * v, 0), rank: basis.length };
}

/**
 * Candidates by the correlation of their chips with the cells less the pilot, highest first, as z
 * against the noise of those cells (which still holds any mark: an overestimate, so a low z).
 */
function rankByCorrelation(y: Float64Array, pilot: ArrayLike<number>, recipients: readonly LedgerCodeword[]): { index: number; z: number }[] {
  const n = y.length;
  let pp = 0;
  let py = 0;
  for (let i = 0; i < n; i++) {
    pp += pilot[i]! * pilot[i]!;
    py += pilot[i]! * y[i]!;
  }
  const r = new Float64Array(n);
  let rr = 0;
  for (let i = 0; i < n; i++) {
    r[i] = y[i]! - (py / pp) * pilot[i]!;
    rr += r[i]! * r[i]!;
  }
  const sigma = Math.sqrt(rr / (n - 1));
  return recipients.map((c, index) => {
    let s = 0;
    let cc = 0;
    for (let i = 0; i < n; i++) {
      s += c.chips[i]! * r[i]!;
      cc += c.chips[i]! * c.chips[i]!;
    }
    return { index, z: sigma > 0 && cc > 0 ? s / (sigma * Math.sqrt(cc)) : 0 };
  }).sort((a, b) => b.z - a.z);
}

/**
 * The explaining set, by forward selection: repeatedly the candidate that best correlates with what
 * the pilot and those chosen so far leave unexplained, while it stands above zMin. A colluder
 * explains the recipients whose codewords overlap its own, so they do not get in after it; noise
 * (an innocent's chance correlation) rarely passes zMin, and a regressor chosen by noise would
 * shrink the residual and inflate every t.
 */
function explainingSet(y: Float64Array, pilot: ArrayLike<number>, recipients: readonly LedgerCodeword[], zMin: number, most: number): number[] {
  const chosen: number[] = [];
  const n = y.length;
  while (chosen.length < most) {
    const r = residualOf(y, [pilot, ...chosen.map((k) => recipients[k]!.chips)]);
    let rr = 0;
    for (let i = 0; i < n; i++) rr += r[i]! * r[i]!;
    const sigma = Math.sqrt(rr / (n - 1 - chosen.length));
    let best = -1;
    let bestZ = zMin;
    recipients.forEach((c, k) => {
      if (chosen.includes(k)) return;
      let s = 0;
      let cc = 0;
      for (let i = 0; i < n; i++) {
        s += c.chips[i]! * r[i]!;
        cc += c.chips[i]! * c.chips[i]!;
      }
      const z = sigma > 0 && cc > 0 ? s / (sigma * Math.sqrt(cc)) : 0;
      if (z > bestZ) {
        bestZ = z;
        best = k;
      }
    });
    if (best < 0) break;
    chosen.push(best);
  }
  return chosen;
}

/** y less its least-squares fit on the columns X. */
function residualOf(y: Float64Array, X: readonly ArrayLike<number>[]): Float64Array {
  const f = fit(y, X);
  return f ? f.residual : Float64Array.from(y);
}

interface Fit { beta: Float64Array; inv: Float64Array[]; rss: number; residual: Float64Array }

function fit(y: ArrayLike<number>, cols: readonly ArrayLike<number>[]): Fit | undefined {
  const p = cols.length;
  const n = y.length;
  const G = Array.from({ length: p }, () => new Float64Array(p));
  const b = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    const ca = cols[a]!;
    for (let c = a; c < p; c++) {
      const cc = cols[c]!;
      let s = 0;
      for (let i = 0; i < n; i++) s += ca[i]! * cc[i]!;
      G[a]![c] = s;
      G[c]![a] = s;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += ca[i]! * y[i]!;
    b[a] = s;
  }
  const inv = invertSymmetric(G);
  if (!inv) return undefined;
  const beta = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    let s = 0;
    for (let c = 0; c < p; c++) s += inv[a]![c]! * b[c]!;
    beta[a] = s;
  }
  const residual = new Float64Array(n);
  let rss = 0;
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let a = 0; a < p; a++) f += beta[a]! * cols[a]![i]!;
    residual[i] = y[i]! - f;
    rss += residual[i]! * residual[i]!;
  }
  return { beta, inv, rss, residual };
}

/**
 * The t statistic of regressor z's coefficient in the least-squares fit of y on [X..., z]: its
 * estimate over its standard error, with the noise variance from the fit's residual, pooled with
 * `extra` (another residual of the same noise, independent of y's: its sum of squares and degrees
 * of freedom) when given.
 */
export function partialT(y: ArrayLike<number>, X: readonly ArrayLike<number>[], z: ArrayLike<number>, extra = { rss: 0, df: 0 }): number {
  const p = X.length + 1;
  const f = fit(y, [...X, z]);
  if (!f) return 0; // z is a combination of the others: it carries nothing of its own
  const se = Math.sqrt(((f.rss + extra.rss) / (y.length - p + extra.df)) * f.inv[p - 1]![p - 1]!);
  return se > 0 ? f.beta[p - 1]! / se : 0;
}

/** Gauss-Jordan inverse of a symmetric positive definite matrix; undefined when (near) singular. */
function invertSymmetric(G: Float64Array[]): Float64Array[] | undefined {
  const p = G.length;
  const a = G.map((row, i) => {
    const r = new Float64Array(2 * p);
    r.set(row);
    r[p + i] = 1;
    return r;
  });
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[piv]![c]!)) piv = r;
    if (Math.abs(a[piv]![c]!) < 1e-9 * Math.max(1, Math.abs(G[c]![c]!))) return undefined;
    [a[c], a[piv]] = [a[piv]!, a[c]!];
    const d = a[c]![c]!;
    for (let k = 0; k < 2 * p; k++) a[c]![k]! /= d;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      if (f === 0) continue;
      for (let k = 0; k < 2 * p; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return a.map((r) => r.slice(p));
}

/** P(T > t) for Student's t with df degrees of freedom, t >= 0. */
export function studentTail(t: number, df: number): number {
  return 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The t whose one-sided tail is p (bisection on studentTail). */
export function studentThreshold(p: number, df: number): number {
  let lo = 0;
  let hi = 100;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTail(mid, df) > p) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Regularized incomplete beta I_x(a, b) (continued fraction, Numerical Recipes' betacf). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** ln Γ(x), Lanczos (g = 7, 9 terms). */
function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
