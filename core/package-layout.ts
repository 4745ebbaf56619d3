/**
 * The layout of an A/B package on disk: what `vigil package` writes and what the edge serves.
 *
 *   DIR/vigil-package.json      the manifest below (the edge reads it once per package)
 *   DIR/<playlist>              the neutral HLS playlist: the same segment URIs for every session
 *   DIR/<init>                  the fMP4 initialisation segment, shared by both variants
 *   DIR/A/<segment uri>         variant A (bit 0) of every segment
 *   DIR/B/<segment uri>         variant B (bit 1) of every marked segment
 *   DIR/<A|B>/<uri>.wmpaceinfo  the segment's WMPaceInfo sidecar (its position; -1 = unmarked)
 *
 * The edge maps a request for <segment uri> to A/ or B/ by the session's variant at the segment's
 * position (core/ab-pattern.ts); an unmarked segment (position -1) is served from A/ to everyone.
 */
import path from 'node:path';

export const PACKAGE_MANIFEST = 'vigil-package.json';
export const PACKAGE_FORMAT = 'vigil-ab-package';
export const VARIANT_DIRS = ['A', 'B'] as const;

export interface PackagedSegment {
  /** The name in the playlist and in A/ and B/: a plain file name, no directories. */
  uri: string;
  durationSeconds: number;
  /** The WMPaceInfo position: the index into the session pattern, or -1 for an unmarked segment. */
  position: number;
}

export interface PackageManifest {
  format: typeof PACKAGE_FORMAT;
  version: 1;
  /** core/ab-pattern.ts PATTERN_VERSION the positions were laid out for. */
  patternVersion: number;
  /** The catalog Content packaged, when known. */
  contentId?: string;
  playlist: string;
  init: string;
  segments: PackagedSegment[];
}

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The file that serves `segment` in `variant` (0 = A, 1 = B); an unmarked segment always from A/. */
export function variantFile(dir: string, segment: PackagedSegment, variant: 0 | 1): string {
  return path.join(dir, VARIANT_DIRS[segment.position < 0 ? 0 : variant], segment.uri);
}

export type ManifestRead = { ok: true; manifest: PackageManifest } | { ok: false; problems: string[] };

/** Checks a manifest's text field by field; problems name the field (e.g. `segments[3].position`). */
export function readPackageManifest(text: string): ManifestRead {
  let value: unknown;
  try { value = JSON.parse(text); } catch (e) { return { ok: false, problems: [`not JSON: ${(e as Error).message}`] }; }
  const problems: string[] = [];
  const m = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (m.format !== PACKAGE_FORMAT) problems.push(`format: must be "${PACKAGE_FORMAT}"`);
  if (m.version !== 1) problems.push('version: must be 1');
  if (!Number.isInteger(m.patternVersion)) problems.push('patternVersion: must be an integer');
  if (m.contentId !== undefined && typeof m.contentId !== 'string') problems.push('contentId: must be a string');
  for (const field of ['playlist', 'init'] as const) {
    if (typeof m[field] !== 'string' || !PLAIN_NAME.test(m[field])) problems.push(`${field}: must be a plain file name`);
  }
  const segments = Array.isArray(m.segments) ? (m.segments as unknown[]) : [];
  if (!Array.isArray(m.segments) || segments.length === 0) problems.push('segments: must be a non-empty list');
  const seen = new Set<string>();
  segments.forEach((raw, i) => {
    const s = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (typeof s.uri !== 'string' || !PLAIN_NAME.test(s.uri)) problems.push(`segments[${i}].uri: must be a plain file name`);
    else if (seen.has(s.uri)) problems.push(`segments[${i}].uri: "${s.uri}" is listed twice`);
    else seen.add(s.uri);
    if (typeof s.durationSeconds !== 'number' || !(s.durationSeconds > 0)) problems.push(`segments[${i}].durationSeconds: must be a number > 0`);
    if (!Number.isInteger(s.position) || (s.position as number) < -1) problems.push(`segments[${i}].position: must be an integer >= -1`);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, manifest: m as unknown as PackageManifest };
}
