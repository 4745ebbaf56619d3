import type pg from 'pg';
import type { ContentSpec } from '../../core/catalog/types.js';
import { initialStatuses, recordFinding, type FindingInput } from '../../core/db/findings.js';
import { hostOf, normalizeUrl } from '../../core/url.js';

/**
 * Catalog rows and findings for the Slack card tests: Contents (one may name its own channel) and a
 * Policy with a findings channel, written as `vigil apply` leaves them, and findings recorded
 * through core's recordFinding like a monitoring round does.
 */

export async function seedCatalog(pool: pg.Pool, catalog: { policyChannel?: string; contents: Record<string, Partial<ContentSpec>> }): Promise<void> {
  for (const [id, spec] of Object.entries(catalog.contents)) {
    await pool.query(`insert into catalog_objects (kind, id, spec, metadata, spec_hash) values ('Content', $1, $2, $3, 'h')`,
      [id, JSON.stringify({ type: 'film', title: id, releaseDate: '2026-01-01', ...spec }), JSON.stringify({ id })]);
  }
  if (catalog.policyChannel !== undefined) {
    await pool.query(`insert into catalog_objects (kind, id, spec, metadata, spec_hash) values ('Policy', 'default', $1, '{"id":"default"}', 'h')`,
      [JSON.stringify({ channels: { findings: catalog.policyChannel } })]);
  }
}

export function findingInput(over: Partial<Omit<FindingInput, 'normalizedUrl' | 'host'>> & { contentId: string; url: string }): FindingInput {
  return {
    siteId: 'streamfree', family: 'streamfree', pageTitle: 'a pirate page', source: 'web', score: 12, matchDistance: 0.08,
    evidence: { phase2: { kind: 'video', matchedTimes: [{ from: 10, to: 70, referenceFrom: 600, referenceTo: 660 }] } },
    ...initialStatuses({ takedown: 'manual', detection: 'manual' }, { watermarked: false }),
    ...over,
    normalizedUrl: normalizeUrl(over.url), host: hostOf(over.url),
  };
}

/** Records `count` findings of one content in one round (url …/N), a few at a time as a busy round does; returns their ids, ascending. */
export async function recordRound(pool: pg.Pool, contentId: string, roundId: string, count: number, over: Partial<FindingInput> = {}): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 1; start <= count; start += 8) {
    const batch = Array.from({ length: Math.min(8, count - start + 1) }, (_, k) => start + k);
    const found = await Promise.all(batch.map((i) =>
      recordFinding(pool, findingInput({ contentId, url: `https://streamfree.to/${contentId}/${roundId}/${i}`, roundId, ...over }), { actor: 'monitor', reason: 'confirmed' })));
    ids.push(...found.map((f) => f.finding.id));
  }
  return ids.sort((a, b) => a - b);
}
