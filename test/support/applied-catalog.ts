import type pg from 'pg';
import { expect } from 'vitest';
import { hasErrors } from '../../core/catalog/diagnostics.js';
import { loadCatalog } from '../../core/catalog/load.js';
import { apply } from '../../reconciler/apply.js';
import { desiredState } from '../../reconciler/desired.js';

/**
 * Applies a small catalog to a test database the way `vigil apply` does (load, check, plan, apply),
 * so tests read Content and Policy from catalog_objects as the bot does.
 */

const HEAD = 'apiVersion: vigil/v1\n';

export function contentDoc(id: string, options: { watermarked?: boolean; title?: string } = {}): string {
  return `${HEAD}kind: Content\nmetadata:\n  id: ${id}\nspec:\n  type: film\n  title: ${options.title ?? id}\n  releaseDate: 2026-01-01\n${options.watermarked === undefined ? '' : `  watermarked: ${options.watermarked}\n`}`;
}

export function policyDoc(approvers: Partial<Record<'takedown' | 'ignore' | 'detect', string[]>>): string {
  const lines = Object.entries(approvers).map(([action, ids]) => `    ${action}: [${ids.join(', ')}]`);
  return `${HEAD}kind: Policy\nmetadata:\n  id: policy\nspec:\n  approvers:${lines.length === 0 ? ' {}' : `\n${lines.join('\n')}`}\n`;
}

export async function applyCatalog(pool: pg.Pool, ...docs: string[]): Promise<void> {
  const loaded = loadCatalog(docs.map((content, i) => ({ path: `doc${i}.yaml`, content })));
  expect(hasErrors(loaded.diagnostics), JSON.stringify(loaded.diagnostics)).toBe(false);
  const result = await apply(pool, desiredState(loaded.catalog), { source: 'test', actor: 'test' });
  expect(result.result).not.toBe('rejected');
}
