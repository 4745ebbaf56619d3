import { createWriteStream } from 'node:fs';
import { access, constants, mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import yazl from 'yazl';
import { VigilError, isVigilError } from '../../core/errors.js';
import { sha256File } from '../media/sha256.js';
import type { Fetcher } from '../monitor/fetch.js';
import { matchedFrames, type FramePair, type MissingPart } from './frames.js';
import { evidenceRecords } from './records.js';
import { gzipRecords, pageWarc } from './warc.js';

/**
 * A finding's evidence pack, one zip: the page as fetched (page.warc.gz), the matched frames
 * beside the reference frames (frames/*.png), the fingerprint distances, every notice sent with
 * its delivery receipts, the re-checks of the link, the detection result, the finding with its
 * audit trail, and a manifest with the SHA-256 of every file (manifest.json, and manifest.sha256
 * that `sha256sum -c` reads). A part that could not be made is listed in the manifest with why.
 *
 * The zip is written to FILE.zip.tmp and renamed to FILE.zip only when whole, so a run that is
 * stopped (or fails) leaves no pack that looks finished; in-process, the temporary file is removed.
 */

/**
 * Where notices and re-checks come from: the takedown runner's tables. Injected, so this module
 * does not reach into another part's records; production binds core/db/notices.ts
 * noticesForFinding and core/db/link-checks.ts linkChecksOf.
 */
export interface EvidenceSources {
  notices(findingId: number): Promise<unknown[]>;
  linkChecks(findingId: number): Promise<unknown[]>;
}

export interface PackOptions {
  pool: Pick<pg.Pool, 'query'>;
  findingId: number;
  /** The pack's path (FILE.zip). */
  out: string;
  /** Replace an existing pack at `out` (default: refuse, EVIDENCE_PACK_EXISTS). */
  overwrite?: boolean;
  /** The SSRF-safe fetcher the leak media is fetched again through. */
  fetch: Fetcher;
  /** Where the Content's reference media paths are relative to (VIGIL_MEDIA_ROOT). */
  mediaRoot: string;
  sources: EvidenceSources;
  /** Names the writer in the WARC and the manifest, e.g. "Vigil 0.1.0". */
  software: string;
  maxFrames?: number;
  maxMediaBytes?: number;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
  what: string;
}

export interface PackResult {
  file: string;
  bytes: number;
  /** SHA-256 of the zip itself. */
  sha256: string;
  files: ManifestFile[];
  missing: MissingPart[];
  frames: FramePair[];
}

/** The pack's name in a folder when --out is not given. */
export const defaultPackName = (findingId: number): string => `evidence-${findingId}.zip`;

const WHAT: Record<string, string> = {
  'page.warc.gz': 'the page as fetched: WARC/1.1 request and response records with headers and time',
  'distances.json': 'fingerprint distances: as recorded by phase 2, and measured again on each frame pair',
  'notices.json': 'every takedown notice sent for the finding, each with its delivery receipts',
  'rechecks.json': 'the re-checks of the link after notices went',
  'detection.json': 'the watermark detection status and result',
  'finding.json': 'the finding record and its audit trail',
  'manifest.json': 'this list, with what could not be made and why',
};

function interrupted(): VigilError {
  return new VigilError('INTERRUPTED', 'the evidence pack was stopped before it finished; no pack was written');
}

/** Refuses, before any work, an output that exists (unless overwriting) or whose folder cannot take it. */
async function checkOut(out: string, overwrite: boolean): Promise<void> {
  const dir = path.dirname(out);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
    await access(dir, constants.W_OK);
  } catch {
    throw new VigilError('EVIDENCE_OUT_UNWRITABLE', `cannot write the evidence pack ${out}: the folder ${dir} does not exist or is not writable`);
  }
  const existing = await stat(out).catch(() => undefined);
  if (existing?.isDirectory()) throw new VigilError('EVIDENCE_OUT_UNWRITABLE', `cannot write the evidence pack to ${out}: it is a folder; give a FILE.zip`);
  if (existing && !overwrite) throw new VigilError('EVIDENCE_PACK_EXISTS', `the evidence pack ${out} already exists`);
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Every file under `dir`, relative, sorted (so the manifest and the zip list them in one order). */
async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(path.join(dir, prefix), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** The recorded phase-2 numbers (exactly as the finding holds them) and each frame pair's own distance. */
function distancesOf(evidence: Record<string, unknown>, matchDistance: number | null, pairs: FramePair[]): Record<string, unknown> {
  const phase2 = (typeof evidence.phase2 === 'object' && evidence.phase2 !== null ? evidence.phase2 : {}) as Record<string, unknown>;
  const keep = ['kind', 'fingerprinter', 'frameThreshold', 'reference', 'offset', 'votes', 'runnerUpVotes', 'distance', 'coverage', 'checkedFrames', 'matchedFrames',
    'matchedTimes', 'checkedPages', 'matchedPages'];
  return {
    unit: 'bits / 64: 0 is the same picture, 0.5 is chance',
    matchDistance,
    recorded: Object.fromEntries(keep.filter((k) => k in phase2).map((k) => [k, phase2[k]])),
    frames: pairs.map((p) => ({ file: p.file, reference: p.reference, leakTime: p.leakTime, referenceTime: p.referenceTime, page: p.page, referencePage: p.referencePage, distance: p.distance, labelled: p.labelled })),
  };
}

async function zipFolder(dir: string, files: readonly string[], tmp: string, mtime: Date, signal?: AbortSignal): Promise<void> {
  const zip = new yazl.ZipFile();
  // PNG and gzip are compressed already.
  for (const f of files) zip.addFile(path.join(dir, f), f, { mtime, compress: !/\.(png|gz)$/.test(f) });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(tmp, { flags: 'wx' }), ...(signal ? [{ signal }] : []));
}

export async function buildEvidencePack(o: PackOptions): Promise<PackResult> {
  const now = o.now ?? (() => new Date());
  const out = path.resolve(o.out);
  await checkOut(out, o.overwrite ?? false);
  const records = await evidenceRecords(o.pool, o.findingId);
  const { finding } = records;
  const work = await mkdtemp(path.join(tmpdir(), 'vigil-evidence-'));
  const packDir = path.join(work, 'pack');
  const tmp = `${out}.tmp`;
  const check = (): void => { if (o.signal?.aborted) throw interrupted(); };
  try {
    await mkdir(packDir);
    const missing: MissingPart[] = [];
    const createdAt = now();

    if (records.page) {
      const warc = pageWarc(records.page, { software: o.software, isPartOf: `evidence pack of finding #${finding.id}`, now: createdAt });
      await writeFile(path.join(packDir, 'page.warc.gz'), gzipRecords(warc.records));
    } else {
      missing.push({ part: 'page.warc.gz', why: 'no page was kept for this finding: it was recorded before Vigil kept pages, or from a source that fetches no page (a feed item, a reported link)' });
    }
    check();

    const frames = await matchedFrames({
      phase2: finding.evidence.phase2, fetch: o.fetch, content: records.content, mediaRoot: o.mediaRoot, packDir, workDir: path.join(work, 'media'),
      ...(o.maxFrames === undefined ? {} : { maxFrames: o.maxFrames }), ...(o.maxMediaBytes === undefined ? {} : { maxMediaBytes: o.maxMediaBytes }),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    missing.push(...frames.missing);
    check();

    const [notices, linkChecks] = await Promise.all([o.sources.notices(finding.id), o.sources.linkChecks(finding.id)]);
    await writeFile(path.join(packDir, 'distances.json'), json(distancesOf(finding.evidence, finding.matchDistance, frames.pairs)));
    await writeFile(path.join(packDir, 'notices.json'), json(notices));
    await writeFile(path.join(packDir, 'rechecks.json'), json(linkChecks));
    await writeFile(path.join(packDir, 'detection.json'), json({ status: finding.detectionStatus, result: finding.evidence.detection ?? null }));
    await writeFile(path.join(packDir, 'finding.json'), json({ finding, audit: records.audit }));

    const files: ManifestFile[] = [];
    for (const f of await filesUnder(packDir)) {
      files.push({ path: f, bytes: (await stat(path.join(packDir, f))).size, sha256: await sha256File(path.join(packDir, f)), what: WHAT[f] ?? (f.startsWith('frames/') ? 'a matched leak frame (left) beside its reference frame (right)' : f) });
    }
    const manifest = {
      format: 'vigil-evidence-pack/1', software: o.software, createdAt: createdAt.toISOString(),
      finding: { id: finding.id, url: finding.url, contentId: finding.contentId, takedownStatus: finding.takedownStatus, detectionStatus: finding.detectionStatus },
      files, missing,
    };
    await writeFile(path.join(packDir, 'manifest.json'), json(manifest));
    const manifestEntry: ManifestFile = { path: 'manifest.json', bytes: (await stat(path.join(packDir, 'manifest.json'))).size, sha256: await sha256File(path.join(packDir, 'manifest.json')), what: WHAT['manifest.json']! };
    // sha256sum -c format: the hex digest, two spaces, the path; every file but this one (it cannot hash itself).
    await writeFile(path.join(packDir, 'manifest.sha256'), [...files, manifestEntry].map((f) => `${f.sha256}  ${f.path}\n`).join(''));
    check();

    await rm(tmp, { force: true });
    await zipFolder(packDir, [...files.map((f) => f.path), 'manifest.json', 'manifest.sha256'], tmp, createdAt, o.signal);
    check();
    await rename(tmp, out);
    return { file: out, bytes: (await stat(out)).size, sha256: await sha256File(out), files: [...files, manifestEntry], missing, frames: frames.pairs };
  } catch (error) {
    await rm(tmp, { force: true });
    if (o.signal?.aborted && !isVigilError(error, 'INTERRUPTED')) throw interrupted();
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
