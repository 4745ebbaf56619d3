import { VigilError } from '../../core/errors.js';
import { parseClock, parsePosition, type VisibleSettings } from '../../runners/media/overlay.js';
import { checkPreset, DEFAULT_OUTPUT_PATTERN, runEmbedCommand } from '../../runners/watermark/embed.js';
import { parseWatermarkId } from '../../runners/watermark/recipients.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { progressReporter } from '../progress.js';

export const usage = `vigil embed INPUT (--recipient NAME | --id N)... [--out-dir DIR] [--output PATTERN]
            [--image FILE [--alpha 0.01-1.0] [--position top-left,bottom-right,...] [--interval HH:MM:SS] [--disappear HH:MM:SS]]
            [--preset medium] [--unallocated-lab] [--format text|json]
vigil embed --job ID [--out-dir DIR]
  Make one forensically watermarked copy of INPUT per recipient, same codec and container, audio copied.
  Recipients (by name or catalog id) and --id N resolve through the watermark IDs the database has
  allocated (vigil apply records them); an unknown or retired one is refused. --job runs an EmbedJob
  of the applied catalog. --unallocated-lab takes raw IDs nobody was allocated: for benches and test
  suites only; the ledger records those copies as unallocated.
  Every finished copy is recorded in the embed ledger (recipient, ID, key id, input and output SHA-256,
  job, commit, who, when). Partial outputs of a run that was killed are removed by the next run.
  Output names follow PATTERN (default ${DEFAULT_OUTPUT_PATTERN}) in DIR (default .).
  --image adds a visible watermark (at most 5 % of the frame) that moves to the next --position at
  each --interval and, with --disappear, shows only that long each time.
  The key comes from VIGIL_WATERMARK_KEY_FILE or VIGIL_WATERMARK_KEY (see vigil keygen).`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  ...formatOption,
  recipient: { type: 'string', multiple: true },
  id: { type: 'string', multiple: true },
  'out-dir': { type: 'string' },
  output: { type: 'string' },
  job: { type: 'string' },
  'unallocated-lab': { type: 'boolean' },
  image: { type: 'string' },
  alpha: { type: 'string' },
  position: { type: 'string', multiple: true },
  interval: { type: 'string' },
  disappear: { type: 'string' },
  preset: { type: 'string' },
} as const;

function list(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** The visible-watermark flags, checked before any media is touched. */
export function visibleFromFlags(values: { image?: string; alpha?: string; position?: string[]; interval?: string; disappear?: string }): VisibleSettings | undefined {
  const { image, alpha, interval, disappear } = values;
  const positions = list(values.position);
  if (!image) {
    const stray = (['alpha', 'interval', 'disappear'] as const).filter((k) => values[k] !== undefined).concat(positions.length ? ['position' as never] : []);
    if (stray.length) throw new VigilError('VISIBLE_SETTINGS_INVALID', `--${stray[0]} needs --image FILE`);
    return undefined;
  }
  let a: number | undefined;
  if (alpha !== undefined) {
    a = Number(alpha);
    if (alpha.trim() === '' || !Number.isFinite(a) || a < 0.01 || a > 1) throw new VigilError('VISIBLE_SETTINGS_INVALID', `--alpha must be a number from 0.01 to 1.0, not ${JSON.stringify(alpha)}`);
  }
  if (interval !== undefined) parseClock('--interval', interval);
  if (disappear !== undefined) parseClock('--disappear', disappear);
  return {
    image,
    ...(a !== undefined ? { alpha: a } : {}),
    ...(positions.length ? { positions: positions.map(parsePosition) } : {}),
    ...(interval !== undefined ? { interval } : {}),
    ...(disappear !== undefined ? { disappear } : {}),
  };
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('embed', argv, options);
  const format = formatOf('embed', values.format);
  const preset = checkPreset(values.preset, 'vigil embed --preset');
  const visible = visibleFromFlags(values);
  const progress = progressReporter(io.stderr, ctx.log, 'embed', { input: positionals[0] ?? values.job });
  let summary;
  try {
    summary = await runEmbedCommand(
      {
        input: positionals[0], recipients: list(values.recipient), ids: list(values.id).map(parseWatermarkId), job: values.job,
        outDir: values['out-dir'], output: values.output, visible, preset, unallocatedLab: values['unallocated-lab'] === true,
      },
      {
        env: io.env, cwd: io.cwd, signal: io.signal, log: ctx.log, onProgress: (p) => progress.update(p),
        pool: async () => (await ctx.db()).pool, database: ctx.config.databaseUrl ? 'the database (DATABASE_URL)' : 'the embedded database',
        actor: `cli:${io.env.USER ?? 'unknown'}`,
      },
    );
  } finally {
    progress.done();
  }
  if (format === 'json') {
    print(io.stdout, JSON.stringify({
      input: summary.input, frames: summary.frames, elapsedMs: summary.elapsedMs, decodes: summary.batches,
      outputs: summary.outputs.map((o) => ({ output: o.output, recipient: o.recipient.name, recipientId: o.recipient.allocated ? o.recipient.recipientId : null, allocated: o.recipient.allocated, watermarkId: o.recipient.watermarkId })),
    }, null, 2));
  } else {
    for (const o of summary.outputs) print(io.stdout, `${o.output}  ${o.recipient.name} (watermark ID ${o.recipient.watermarkId}${o.recipient.allocated ? '' : ', unallocated lab copy'})`);
    print(io.stderr, `embedded ${summary.outputs.length} cop${summary.outputs.length === 1 ? 'y' : 'ies'}, ${summary.frames} frames each, in ${(summary.elapsedMs / 1000).toFixed(1)} s`);
  }
  return 0;
}
