/**
 * What `vigil package` runs: the active watermark key, the package written to a temp folder, its
 * record in the database (ab_packages, with an audit row) written before the folder is renamed
 * into place, so a package never exists without its record.
 */
import path from 'node:path';
import type pg from 'pg';
import { recordAbPackage } from '../../core/db/ab-packages.js';
import { isVigilError, VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Preset } from '../media/codecs.js';
import type { Progress } from '../media/pipeline.js';
import { sha256File } from '../media/sha256.js';
import { loadEmbeddingKey } from '../watermark/keys.js';
import { packageTitle, type PackageSummary } from './package.js';

export interface PackageCommandInput {
  input: string;
  out: string;
  segmentSeconds?: number;
  contentId?: string;
  preset?: Preset;
}

export interface PackageCommandDeps {
  env: Record<string, string | undefined>;
  cwd: string;
  pool: () => Promise<pg.Pool>;
  database?: string;
  actor: string;
  signal?: AbortSignal;
  log?: Logger;
  onProgress?: (p: Progress) => void;
}

function databaseError(error: unknown, database: string, doing: string): unknown {
  if (isVigilError(error)) return error;
  return new VigilError('DATABASE_UNAVAILABLE', `could not ${doing} in ${database}: ${(error as Error).message}`, { cause: error });
}

export async function runPackageCommand(cmd: PackageCommandInput, deps: PackageCommandDeps): Promise<PackageSummary> {
  const database = deps.database ?? 'the database';
  const input = path.resolve(deps.cwd, cmd.input);
  const out = path.resolve(deps.cwd, cmd.out);
  const key = await loadEmbeddingKey(deps.env);
  const pool = await deps.pool().catch((error: unknown) => { throw databaseError(error, database, 'open the database'); });
  if (cmd.contentId !== undefined) {
    const { rowCount } = await pool.query("select 1 from catalog_objects where kind = 'Content' and id = $1 and deleted_at is null", [cmd.contentId])
      .catch((error: unknown) => { throw databaseError(error, database, 'look up the Content'); });
    if (!rowCount) throw new VigilError('PACKAGE_CONTENT_UNKNOWN', `--content ${cmd.contentId}: no such Content in the catalog applied to ${database}`);
  }
  // Hashed while the encoders run.
  const inputSha = sha256File(input, deps.signal);
  inputSha.catch(() => undefined);
  return packageTitle({
    input, out, key, ...(cmd.segmentSeconds !== undefined ? { segmentSeconds: cmd.segmentSeconds } : {}), ...(cmd.contentId ? { contentId: cmd.contentId } : {}),
    ...(cmd.preset ? { preset: cmd.preset } : {}), ...(deps.signal ? { signal: deps.signal } : {}), ...(deps.log ? { log: deps.log } : {}), ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
    beforeRename: async (manifest) => {
      await recordAbPackage(pool, deps.actor, {
        id: manifest.packageId, ...(manifest.contentId ? { contentId: manifest.contentId } : {}), dir: out, keyId: key.id, keyFingerprint: key.fingerprint,
        patternVersion: manifest.patternVersion, segmentSeconds: manifest.segmentSeconds, positions: manifest.segments.map((s) => s.position),
        inputPath: input, inputSha256: await inputSha,
      }).catch((error: unknown) => { throw databaseError(error, database, `record package ${manifest.packageId} (nothing was written to ${out})`); });
    },
  });
}
