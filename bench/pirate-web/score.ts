import { normalizeUrl } from '../../core/url.js';
import { PAGE_KINDS, type ContentId, type Corpus, type LabelledPage, type PageKind } from './labels.js';

/**
 * A round's suspects (phase 1) and findings (phase 2) against the corpus labels: recall per page
 * kind over the leaks, precision over what the round flagged (a leak's carrier, and a listing page
 * that links to leaks, count as right; a decoy, its carrier, chrome, a soft 404 or an official page as wrong). Pure.
 */

export interface KindScore {
  kind: PageKind;
  families: string[];
  langs: string[];
  leaks: number;
  decoys: number;
  recall: [number, number];
  precision: [number, number];
  missed: string[];
  /** Phase-2 hits per way the leaks are built (labels.ts `variant`). */
  variants: { variant: string; found: number; total: number }[];
}

export interface RoundScore {
  kinds: KindScore[];
  recall: [number, number];
  precision: [number, number];
  flagged: [number, number];
  /** Findings (phase 2) on official pages. */
  onAllowListed: number;
  wrong: { url: string; why: string }[];
}

const ratio = (a: number, b: number): number => (b === 0 ? Number.NaN : a / b);

function key(url: string): string {
  try { return normalizeUrl(url); } catch { return url; }
}

/** Phase-1 suspect URLs and phase-2 finding URLs of the rounds for each content. */
export type Flagged = Record<ContentId, { suspects: string[]; findings: string[] }>;

export function scoreRounds(corpus: Corpus, flagged: Flagged): RoundScore {
  const byUrl = new Map<string, LabelledPage>();
  for (const p of corpus.pages) for (const u of [p.url, ...p.aliases]) byUrl.set(key(u), p);
  const phases = [0, 1] as const;
  const hit = phases.map(() => new Set<LabelledPage>());
  const right: [number, number] = [0, 0];
  const total: [number, number] = [0, 0];
  let onAllowListed = 0;
  const wrong: RoundScore['wrong'] = [];
  for (const [content, f] of Object.entries(flagged) as [ContentId, Flagged[ContentId]][]) {
    for (const phase of phases) {
      for (const u of new Set((phase === 0 ? f.suspects : f.findings).map(key))) {
        const page = byUrl.get(u);
        total[phase] += 1;
        const l = page?.label;
        const ok = !!l && ((l.role === 'leak' && l.content === content) || (l.role === 'carrier' && l.genuine && l.content === content) || (l.role === 'listing' && l.content === content));
        if (ok && page) { right[phase] += 1; hit[phase]!.add(page); }
        if (phase === 1 && l?.role === 'official') onAllowListed += 1;
        if (phase === 1 && !ok) wrong.push({ url: u, why: l ? `${l.role}${'kind' in l ? ` (${l.kind})` : ''}` : 'unlabelled' });
        if (page && l?.role === 'decoy') hit[phase]!.add(page);
      }
    }
  }
  const kinds = PAGE_KINDS.map((kind): KindScore => {
    const leaks = corpus.pages.filter((p) => p.label.role === 'leak' && p.label.kind === kind);
    const decoys = corpus.pages.filter((p) => p.label.role === 'decoy' && p.label.kind === kind);
    const of = (phase: 0 | 1) => {
      const tp = leaks.filter((p) => hit[phase]!.has(p)).length;
      const fp = decoys.filter((p) => hit[phase]!.has(p)).length;
      return { recall: ratio(tp, leaks.length), precision: ratio(tp, tp + fp) };
    };
    const labels = [...leaks, ...decoys].map((p) => p.label as { family: string; lang: string });
    return {
      kind, leaks: leaks.length, decoys: decoys.length,
      families: [...new Set(labels.map((l) => l.family))].sort(), langs: [...new Set(labels.map((l) => l.lang))].sort(),
      recall: [of(0).recall, of(1).recall], precision: [of(0).precision, of(1).precision],
      missed: leaks.filter((p) => !hit[1]!.has(p)).map((p) => p.url),
      variants: [...new Set(leaks.map((p) => p.variant ?? '-'))].sort().map((variant) => {
        const of = leaks.filter((p) => (p.variant ?? '-') === variant);
        return { variant, found: of.filter((p) => hit[1]!.has(p)).length, total: of.length };
      }),
    };
  });
  const leaks = corpus.pages.filter((p) => p.label.role === 'leak');
  return {
    kinds,
    recall: [ratio(leaks.filter((p) => hit[0]!.has(p)).length, leaks.length), ratio(leaks.filter((p) => hit[1]!.has(p)).length, leaks.length)],
    precision: [ratio(right[0], total[0]), ratio(right[1], total[1])],
    flagged: total,
    onAllowListed,
    wrong,
  };
}
