import { VigilError } from '../../core/errors.js';
import { DEFAULT_SEGMENT_SECONDS } from '../../runners/package/package.js';
import { runPackageCommand } from '../../runners/package/command.js';
import { checkPreset } from '../../runners/watermark/embed.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { progressReporter } from '../progress.js';

export const usage = `vigil package INPUT --out DIR [--segment-seconds ${DEFAULT_SEGMENT_SECONDS}] [--content ID] [--preset medium] [--format text|json]
  Segment a title into an A/B package for session watermarking: HLS fMP4 segments of exactly
  --segment-seconds (a whole number of frames; one fixed GOP each), every segment in variant A
  (marked with bit 0) and variant B (bit 1), one shared init segment, a neutral playlist, a
  WMPaceInfo sidecar per segment file (its position in the session pattern; -1 unmarked) and
  vigil-package.json. The edge (vigil edge) serves A or B per segment by each session's pattern;
  vigil detect --package DIR RECORDING reads a re-stream back to the session's watermark ID.
  The package is written beside DIR and renamed into place only when complete, and recorded in
  the database (content, folder, key id, segments, positions) first. DIR must not exist or be empty.
  --content names the catalog Content packaged. The key is the active watermark key
  (VIGIL_WATERMARK_KEY_FILE or VIGIL_WATERMARK_KEY); each variant uses a key derived from it.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  ...formatOption,
  out: { type: 'string' },
  'segment-seconds': { type: 'string' },
  content: { type: 'string' },
  preset: { type: 'string' },
} as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('package', argv, options);
  const format = formatOf('package', values.format);
  if (!positionals[0]) throw new VigilError('USAGE', 'vigil package: give the INPUT file');
  if (!values.out) throw new VigilError('USAGE', 'vigil package: give --out DIR, the folder the package is written to');
  const preset = checkPreset(values.preset, 'vigil package --preset');
  let segmentSeconds: number | undefined;
  if (values['segment-seconds'] !== undefined) {
    segmentSeconds = Number(values['segment-seconds']);
    if (values['segment-seconds'].trim() === '' || !Number.isFinite(segmentSeconds)) {
      throw new VigilError('PACKAGE_SEGMENTS_INVALID', `--segment-seconds must be a number of seconds, not ${JSON.stringify(values['segment-seconds'])}`);
    }
  }
  const progress = progressReporter(io.stderr, ctx.log, 'package', { input: positionals[0] });
  let summary;
  try {
    summary = await runPackageCommand(
      { input: positionals[0], out: values.out, ...(segmentSeconds !== undefined ? { segmentSeconds } : {}), ...(values.content ? { contentId: values.content } : {}), ...(preset ? { preset } : {}) },
      {
        env: io.env, cwd: io.cwd, signal: io.signal, log: ctx.log, onProgress: (p) => progress.update(p),
        pool: async () => (await ctx.db()).pool, database: ctx.config.databaseUrl ? 'the database (DATABASE_URL)' : 'the embedded database',
        actor: `cli:${io.env.USER ?? 'unknown'}`,
      },
    );
  } finally {
    progress.done();
  }
  const m = summary.manifest;
  const marked = m.segments.filter((s) => s.position >= 0).length;
  if (format === 'json') {
    print(io.stdout, JSON.stringify({ out: summary.out, packageId: m.packageId, contentId: m.contentId ?? null, keyId: m.keyId, segments: m.segments.length, marked, segmentSeconds: m.segmentSeconds, frames: summary.frames, elapsedMs: summary.elapsedMs }, null, 2));
  } else {
    print(io.stdout, `${summary.out}  package ${m.packageId}${m.contentId ? ` of ${m.contentId}` : ''}: ${m.segments.length} segments of ${m.segmentSeconds} s (${marked} marked), key ${m.keyId}`);
    print(io.stderr, `packaged ${summary.frames} frames into variants A and B in ${(summary.elapsedMs / 1000).toFixed(1)} s`);
  }
  return 0;
}
