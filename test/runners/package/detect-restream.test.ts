import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternFor, variantAt } from '../../../core/ab-pattern.js';
import { detectRestream } from '../../../runners/package/detect-restream.js';
import { leakOf, makePackagedTitle } from './fixtures.js';

let dir: string;
let pkg: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-restream-'));
  ({ pkg } = await makePackagedTitle(dir));
}, 120_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('reading a re-stream back to its watermark ID', () => {
  it('names the exact ID of a session copy cut at the start, rescaled and re-encoded, with every segment read right', async () => {
    const r = await detectRestream({ packageDir: pkg, recording: await leakOf(dir, pkg, 305419896) });
    expect({ found: r.found, id: r.watermarkId, reason: r.reason }).toEqual({ found: true, id: 305419896, reason: undefined });
    // Cut 2.5 s in: the offset is found to within a frame (8 fps).
    expect(Math.abs(r.offsetSeconds! - 2.5)).toBeLessThanOrEqual(0.125);
    expect(r.segments.length).toBeGreaterThanOrEqual(48);
    const pattern = patternFor(305419896);
    expect(r.segments.filter((s) => s.variant !== variantAt(pattern, s.position))).toEqual([]);
    expect(Math.min(...r.segments.map((s) => s.confidence))).toBeGreaterThan(0.99);
  });

  it('names the other ID for a copy of another session, never the first', async () => {
    const r = await detectRestream({ packageDir: pkg, recording: await leakOf(dir, pkg, 42) });
    const pattern = patternFor(42);
    const misread = r.segments.filter((s) => s.variant !== variantAt(pattern, s.position)).map((s) => `${s.uri} z ${s.z.toFixed(1)}`);
    expect({ found: r.found, id: r.watermarkId, reason: r.reason, misread }).toEqual({ found: true, id: 42, reason: undefined, misread: [] });
  });
});
