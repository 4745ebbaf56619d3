import { VigilError } from '../../core/errors.js';
import { PRESETS, type Preset } from '../../runners/media/codecs.js';
import { parseClock, parsePosition, type VisibleSettings } from '../../runners/media/overlay.js';
import { DEFAULT_OUTPUT_PATTERN, runEmbedCommand } from '../../runners/watermark/embed.js';
import { parseWatermarkId } from '../../runners/watermark/recipients.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { progressReporter } from '../progress.js';

export const usage = `vigil embed INPUT (--recipient NAME | --id N)... [--out-dir DIR] [--output PATTERN] [--catalog DIR]
            [--image FILE [--alpha 0.01-1.0] [--position top-left,bottom-right,...] [--interval HH:MM:SS] [--disappear HH:MM:SS]]
            [--preset medium] [--format text|json]
vigil embed --job ID [--catalog DIR] [--out-dir DIR]
  Make one forensically watermarked copy of INPUT per recipient, same codec and container, audio copied.
  Recipients are named from the catalog (DIR, default ./catalog) or given as raw watermark IDs.
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
  catalog: { type: 'string' },
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
  const preset = values.preset;
  if (preset !== undefined && !(PRESETS as readonly string[]).includes(preset)) {
    throw new VigilError('USAGE', `vigil embed: --preset must be one of ${PRESETS.join(', ')}`);
  }
  const visible = visibleFromFlags(values);
  const progress = progressReporter(io.stderr, ctx.log, 'embed', { input: positionals[0] ?? values.job });
  let summary;
  try {
    summary = await runEmbedCommand(
      {
        input: positionals[0], recipients: list(values.recipient), ids: list(values.id).map(parseWatermarkId), job: values.job,
        catalogDir: values.catalog, outDir: values['out-dir'], output: values.output, visible, preset: preset as Preset | undefined,
      },
      { env: io.env, cwd: io.cwd, signal: io.signal, log: ctx.log, onProgress: (p) => progress.update(p) },
    );
  } finally {
    progress.done();
  }
  if (format === 'json') {
    print(io.stdout, JSON.stringify({
      input: summary.input, frames: summary.frames, elapsedMs: summary.elapsedMs, decodes: summary.batches,
      outputs: summary.outputs.map((o) => ({ output: o.output, recipient: o.recipient.name, recipientId: o.recipient.recipientId ?? null, watermarkId: o.recipient.watermarkId })),
    }, null, 2));
  } else {
    for (const o of summary.outputs) print(io.stdout, `${o.output}  ${o.recipient.name} (watermark ID ${o.recipient.watermarkId})`);
    print(io.stderr, `embedded ${summary.outputs.length} cop${summary.outputs.length === 1 ? 'y' : 'ies'}, ${summary.frames} frames each, in ${(summary.elapsedMs / 1000).toFixed(1)} s`);
  }
  return 0;
}
