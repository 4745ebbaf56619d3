/**
 * One input → one watermarked output per recipient. The CLI (`vigil embed`) and the embed worker
 * both call `runEmbedCommand`, so a job behaves exactly like the command line.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { recordEmbeddedCopies, type EmbeddedCopy, type MarkVersion } from '../../core/db/embed-ledger.js';
import { isVigilError, VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { expandPattern } from '../../core/catalog/paths.js';
import type { EmbedPayload } from '../../core/queues.js';
import { encoderSettings, PRESETS, rawLayout, type Preset } from '../media/codecs.js';
import { removeDeadRunLeftovers } from '../media/leftovers.js';
import { overlayPlan, type VisibleSettings } from '../media/overlay.js';
import { checkWritableDir, runEmbedPipeline, type Progress } from '../media/pipeline.js';
import { checkEmbeddable, checkExtensions, probeMedia, runFfprobe, type VideoStreamInfo } from '../media/probe.js';
import { sha256File } from '../media/sha256.js';
import { lastAppliedCommit, loadAppliedEmbedJob } from './embed-job.js';
import { loadEmbeddingKey } from './keys.js';
import { resolveRecipients, type EmbedRecipient, type NamedRecipient, type ResolvedRecipient } from './recipients.js';

export const DEFAULT_OUTPUT_PATTERN = '{basename}.{recipient}.{watermarkId}.{ext}';
/** Shorter inputs cannot carry a reliable mark (and `vigil embed` refuses them). */
export const MIN_INPUT_SECONDS = 30;

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function escapes(pattern: string, output: string, outDir: string, how: string): VigilError {
  return new VigilError('OUTPUT_ESCAPES', `output pattern ${JSON.stringify(pattern)} gives ${output}, which is outside the output directory ${outDir}${how}`);
}

/**
 * Every output path, checked: inside the output directory (validate refuses escaping patterns, but
 * recipient names fill the pattern and a job may come from elsewhere), same extension as the input,
 * one distinct file per recipient.
 */
export function outputPaths(input: string, recipients: readonly EmbedRecipient[], outDir: string, pattern = DEFAULT_OUTPUT_PATTERN): string[] {
  const ext = path.extname(input);
  const basename = path.basename(input, ext);
  const root = path.resolve(outDir);
  const outputs = recipients.map((r) => {
    const expanded = expandPattern(pattern, { basename, recipient: r.name, watermarkId: r.watermarkId, ext: ext.replace(/^\./, '') });
    if (expanded.includes('\u0000')) throw new VigilError('OUTPUT_ESCAPES', `output pattern ${JSON.stringify(pattern)} holds a NUL character`);
    const output = path.resolve(root, expanded);
    if (!isInside(root, output)) throw escapes(pattern, output, root, '');
    return output;
  });
  for (const out of outputs) checkExtensions(input, out);
  if (new Set(outputs).size !== outputs.length) {
    throw new VigilError('USAGE', `output pattern ${JSON.stringify(pattern)} gives several recipients the same file; include {recipient} or {watermarkId}`);
  }
  if (outputs.some((o) => o === path.resolve(input))) throw new VigilError('USAGE', `output pattern ${JSON.stringify(pattern)} would overwrite the input`);
  return outputs;
}

/** `file` with the part of it that exists resolved through symbolic links, the rest kept as written. */
async function realPathOf(file: string): Promise<string> {
  for (let at = path.resolve(file); ; at = path.dirname(at)) {
    const real = await fs.realpath(at).catch(() => undefined);
    if (real !== undefined) return path.join(real, path.relative(at, path.resolve(file)));
    if (path.dirname(at) === at) return path.resolve(file);
  }
}

/**
 * The lexical check in outputPaths cannot see symbolic links: `out/x` may point at /etc. Each
 * output's folder (as far as it exists yet) must resolve inside the real output directory.
 */
export async function checkOutputsStayInside(outDir: string, outputs: readonly string[], pattern = DEFAULT_OUTPUT_PATTERN): Promise<void> {
  const root = await realPathOf(outDir);
  for (const output of outputs) {
    const folder = await realPathOf(path.dirname(output));
    if (folder !== root && !isInside(root, folder)) throw escapes(pattern, output, root, ` (its folder resolves to ${folder} through a symbolic link)`);
  }
}

/**
 * How many encoders one decode feeds. Each encoder holds its lookahead and reference frames
 * (~60 frames for x264/x265 at default presets); keep them within half the free memory.
 */
export function parallelEncoders(video: Pick<VideoStreamInfo, 'width' | 'height' | 'bitDepth' | 'chroma' | 'codec'>, freeBytes = os.freemem(), cap = 8): number {
  const frame = rawLayout(video, video.codec).frameBytes;
  const perEncoder = frame * (video.codec === 'hevc' ? 90 : 60) + 64 * 1024 * 1024;
  return Math.max(1, Math.min(cap, Math.floor((freeBytes * 0.5) / perEncoder)));
}

export async function imageSize(file: string): Promise<{ width: number; height: number }> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new VigilError('WATERMARK_IMAGE_MISSING', `visible watermark image ${file} does not exist`);
  try {
    const out = await runFfprobe(['-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', file]);
    const s = (JSON.parse(out) as { streams?: { width?: number; height?: number }[] }).streams?.[0];
    if (!s?.width || !s.height) throw new Error('no picture in it');
    return { width: s.width, height: s.height };
  } catch (error) {
    if (error instanceof VigilError) throw error;
    throw new VigilError('WATERMARK_IMAGE_MISSING', `visible watermark image ${file} is not an image ffmpeg can read: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The forensic mark version new copies carry, embedded and recorded in the ledger: 2, the tile's
 * sign changing every few seconds (issue 14 item 4: averaging a copy's frames no longer yields the
 * pattern). The detector reads both versions, so copies made before stay readable. Typed as the
 * ledger's versions: the engine's version 3 (native/index.ts) is not released.
 */
export const MARK_VERSION: MarkVersion = 2;

export interface EmbedRequest<R extends EmbedRecipient = EmbedRecipient> {
  input: string;
  recipients: R[];
  outDir: string;
  outputPattern?: string;
  visible?: VisibleSettings;
  key: Buffer;
  /** Default 30 s; tests of the pipeline alone lower it. */
  minDuration?: number;
  preset?: Preset;
  strength?: number;
  /** Most encoders fed by one decode; default from free memory (parallelEncoders). */
  maxParallel?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress & { batch: number; batches: number }) => void;
  /**
   * Called with each decode's outputs once they are complete, each still in its temp `file`, before
   * they are renamed into place (the ledger is written here): a copy never exists without its record.
   */
  onCopiesDone?: (outputs: (EmbedOutput<R> & { file: string })[]) => Promise<void>;
  log?: Logger;
}

export interface EmbedOutput<R extends EmbedRecipient = EmbedRecipient> {
  recipient: R;
  output: string;
}

export interface EmbedSummary<R extends EmbedRecipient = EmbedRecipient> {
  input: string;
  outputs: EmbedOutput<R>[];
  frames: number;
  elapsedMs: number;
  /** How many decodes ran (1 when every encoder fitted in memory at once). */
  batches: number;
}

export async function embedForRecipients<R extends EmbedRecipient>(req: EmbedRequest<R>): Promise<EmbedSummary<R>> {
  if (req.recipients.length === 0) throw new VigilError('USAGE', 'no recipients: give --recipient NAME or --id N');
  const input = path.resolve(req.input);
  const outputs = outputPaths(input, req.recipients, req.outDir, req.outputPattern);
  // Before probing (cheap first) and before creating folders (mkdir would follow a link out).
  await checkOutputsStayInside(req.outDir, outputs, req.outputPattern);
  const info = await probeMedia(input, req.signal);
  const video = checkEmbeddable(info, { minDuration: req.minDuration ?? MIN_INPUT_SECONDS });
  const ext = checkExtensions(input, outputs[0]!);
  await checkWritableDir(req.outDir);
  const dirs = new Set(outputs.map((o) => path.dirname(o)));
  for (const dir of dirs) {
    await fs.mkdir(dir, { recursive: true }).catch(() => undefined);
    await checkWritableDir(dir);
  }
  // A run killed with -9 could not clean up: its partial outputs and pipe folder go now.
  await removeDeadRunLeftovers(dirs, req.log);
  // Again once the folders exist: a link may have appeared meanwhile.
  await checkOutputsStayInside(req.outDir, outputs, req.outputPattern);
  let overlay: { image: string; filter: string } | undefined;
  if (req.visible) {
    const image = path.resolve(req.visible.image);
    const size = await imageSize(image);
    const settings = encoderSettings(video, ext, { preset: req.preset });
    const plan = overlayPlan({
      settings: req.visible, imageInput: 2, frame: { width: video.width, height: video.height }, image: size,
      duration: info.duration, overlayFormat: settings.overlayFormat, pixFmt: rawLayout(video, video.codec).pixFmt,
    });
    overlay = { image, filter: plan.filter };
  }
  const perBatch = req.maxParallel ?? parallelEncoders(video);
  const targets = req.recipients.map((r, i) => ({ recipient: r, output: outputs[i]!, payload: r.watermarkId }));
  const batches = Math.ceil(targets.length / perBatch);
  const started = Date.now();
  let frames = 0;
  req.log?.info({ input, recipients: targets.length, batches, codec: video.codec, size: `${video.width}x${video.height}`, bitDepth: video.bitDepth }, 'embed started');
  for (let b = 0; b < batches; b++) {
    const batch = targets.slice(b * perBatch, (b + 1) * perBatch);
    const result = await runEmbedPipeline({
      info, video, ext, targets: batch, key: req.key, strength: req.strength, markVersion: MARK_VERSION, preset: req.preset, overlay, signal: req.signal, log: req.log,
      onProgress: req.onProgress ? (p) => req.onProgress!({ ...p, fraction: (b + p.fraction) / batches, batch: b + 1, batches }) : undefined,
      ...(req.onCopiesDone ? { beforeRename: (files) => req.onCopiesDone!(batch.map((t, i) => ({ recipient: t.recipient, output: t.output, file: files[i]!.temp }))) } : {}),
    });
    frames = result.frames;
    req.log?.info({ outputs: result.outputs, frames: result.frames, ms: result.elapsedMs }, 'embed batch done');
  }
  return { input, outputs: targets.map((t) => ({ recipient: t.recipient, output: t.output })), frames, elapsedMs: Date.now() - started, batches };
}

/** What `vigil embed` and an embed job take: the queue payload's fields (checked here), plus the CLI's visible-watermark flags. */
export interface EmbedCommandInput extends EmbedPayload {
  visible?: VisibleSettings;
}

export interface EmbedCommandDeps {
  env: Record<string, string | undefined>;
  /** Paths are relative to this. */
  cwd: string;
  /** The database: allocations are resolved there and every copy is recorded in its embed ledger. */
  pool: () => Promise<pg.Pool>;
  /** Where the database is, for messages. */
  database?: string;
  /** Who makes the copies, for the ledger and the audit log: `cli:USER` or `worker`. */
  actor: string;
  /** The BullMQ job, when a worker runs it. */
  queueJobId?: string;
  signal?: AbortSignal;
  onProgress?: EmbedRequest['onProgress'];
  log?: Logger;
  maxParallel?: number;
}

export function checkPreset(preset: string | undefined, where: string): Preset | undefined {
  if (preset !== undefined && !(PRESETS as readonly string[]).includes(preset)) {
    throw new VigilError('USAGE', `${where}: preset must be one of ${PRESETS.join(', ')}, not ${JSON.stringify(preset)}`);
  }
  return preset as Preset | undefined;
}

/**
 * Resolves the recipients through the database, embeds with the active key, and records every
 * finished copy in the embed ledger. If the ledger cannot be written, the copies it was to record
 * are deleted: no copy may exist that the record does not know of.
 */
export async function runEmbedCommand(cmd: EmbedCommandInput, deps: EmbedCommandDeps): Promise<EmbedSummary<ResolvedRecipient>> {
  const at = (p: string): string => path.resolve(deps.cwd, p);
  const database = deps.database ?? 'the database';
  const names: NamedRecipient[] = (cmd.recipients ?? []).map((name) => ({ name, where: '--recipient' }));
  let input = cmd.input;
  let output = cmd.output;
  let visible = cmd.visible;
  const preset = checkPreset(cmd.preset, 'vigil embed');
  const ids = cmd.ids ?? [];
  if (!cmd.job && !input) throw new VigilError('USAGE', 'vigil embed: give an INPUT file (or --job ID)');
  if (!cmd.job && names.length === 0 && ids.length === 0) throw new VigilError('USAGE', 'vigil embed: give at least one --recipient NAME or --id N');
  const key = await loadEmbeddingKey(deps.env);
  const pool = await deps.pool();
  let commit: string | null;
  let embedJobId: string | undefined;
  try {
    if (cmd.job) {
      const job = await loadAppliedEmbedJob(pool, cmd.job, database);
      embedJobId = job.id;
      commit = job.commit;
      input ??= job.spec.input;
      output ??= job.spec.output;
      visible ??= job.spec.visible;
      names.push(...job.spec.recipients.map((name, i) => ({ name, where: `EmbedJob/${job.id} recipients[${i}]` })));
    } else {
      commit = await lastAppliedCommit(pool);
    }
  } catch (error) {
    throw databaseError(error, database, 'read the applied catalog');
  }
  if (!input) throw new VigilError('USAGE', 'vigil embed: give an INPUT file (or --job ID)');
  const recipients = await resolveRecipients(pool, names, ids, { unallocatedLab: cmd.unallocatedLab === true, database })
    .catch((error: unknown) => { throw databaseError(error, database, 'look up the watermark allocations'); });
  const inputPath = at(input);
  // Hashed while the first decode runs; a failure surfaces when the first copy is recorded.
  const inputSha = sha256File(inputPath, deps.signal);
  inputSha.catch(() => undefined);
  // Written before the outputs are renamed into place, so a copy never exists without its row; a
  // kill between the two leaves a row whose temp file the next run sweeps (never the other way round).
  const record = async (outputs: (EmbedOutput<ResolvedRecipient> & { file: string })[]): Promise<void> => {
    try {
      const inputSha256 = await inputSha;
      const copies: EmbeddedCopy[] = [];
      for (const o of outputs) {
        copies.push({
          watermarkId: o.recipient.watermarkId,
          ...(o.recipient.allocated ? { recipient: { id: o.recipient.recipientId, name: o.recipient.name } } : {}),
          keyId: key.id, keyFingerprint: key.fingerprint, inputPath, inputSha256, outputPath: o.output, outputSha256: await sha256File(o.file, deps.signal),
          markVersion: MARK_VERSION,
          ...(embedJobId ? { embedJobId } : {}), ...(deps.queueJobId ? { queueJobId: deps.queueJobId } : {}), ...(commit ? { catalogCommit: commit } : {}),
        });
      }
      const ledgerIds = await recordEmbeddedCopies(pool, deps.actor, copies);
      deps.log?.info({ ledgerIds, outputs: outputs.map((o) => o.output) }, 'copies recorded in the embed ledger');
    } catch (error) {
      // The pipeline removes the temp files: no output appears.
      deps.log?.error({ err: error, outputs: outputs.map((o) => o.output) }, 'copies discarded: they could not be recorded');
      if (deps.signal?.aborted) throw new VigilError('INTERRUPTED', 'stopped while recording the copies; the unrecorded outputs were removed');
      throw databaseError(error, database, `record ${outputs.length} cop${outputs.length === 1 ? 'y' : 'ies'} in the embed ledger (they were discarded, so no copy exists without a record)`);
    }
  };
  return embedForRecipients({
    input: inputPath, recipients, outDir: at(cmd.outDir ?? '.'), outputPattern: output,
    visible: visible ? { ...visible, image: at(visible.image) } : undefined,
    key: key.key, preset, signal: deps.signal, onProgress: deps.onProgress, onCopiesDone: record, log: deps.log, maxParallel: deps.maxParallel,
  });
}

/** A failed query as a person should read it; a VigilError (a refusal) passes unchanged. */
function databaseError(error: unknown, database: string, doing: string): unknown {
  if (isVigilError(error)) return error;
  return new VigilError('DATABASE_UNAVAILABLE', `could not ${doing} in ${database}: ${(error as Error).message}`, { cause: error });
}
