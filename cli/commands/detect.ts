import { VigilError } from '../../core/errors.js';
import { runDetectCommand, type DetectOutcome } from '../../runners/watermark/detect.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { progressReporter } from '../progress.js';

export const usage = `vigil detect LEAK [--original FILE] [--catalog DIR] [--format text|json]
  Look for the forensic watermark in a leaked video or screenshot and say whose copy it was.
  A still image (PNG/JPEG) needs --original: the source video or image it was taken from.
  The recipient is looked up in the database (when DATABASE_URL is set), else in the catalog DIR
  (default ./catalog). Exit code 0: a mark was found; 1: none was found.`;

function pct(x: number): string {
  return `${(x * 100).toFixed(x >= 0.995 || x < 0.01 ? 1 : 0)} %`;
}

export function describeOutcome(o: DetectOutcome): string[] {
  const lines: string[] = [];
  const evidence = o.kind === 'video'
    ? `mark present in ${o.framesWithMark} of ${o.framesUsed} frames (${pct(o.markedFraction)})${o.seconds !== undefined ? `, ${o.seconds.toFixed(1)} s analysed` : ''}`
    : `one still compared with the original${o.originalTime !== undefined ? ` (matched the frame at ${o.originalTime.toFixed(2)} s)` : ''}`;
  if (!o.found || o.watermarkId === undefined) {
    lines.push(`No watermark found in ${o.leak}.`);
    lines.push(o.kind === 'video'
      ? `${o.framesUsed} frames analysed; nothing decoded with this key. The copy may be unmarked, marked with another key, or too damaged.`
      : 'Nothing decoded from the still with this key. It may be unmarked, marked with another key, or not taken from this original.');
    return lines;
  }
  const who = o.recipient
    ? `${o.recipient.name} (recipient ${o.recipient.recipientId}${o.recipient.retired ? ', retired' : ''}; from the ${o.recipient.source})`
    : 'no recipient on record for this ID';
  lines.push(`Watermark ID ${o.watermarkId}: ${who}`);
  lines.push(`confidence ${o.confidence >= 0.999999 ? '>99.9999 %' : pct(o.confidence)} (false-alarm probability ${o.falseAlarmProbability.toExponential(1)})`);
  lines.push(evidence);
  return lines;
}

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { ...formatOption, original: { type: 'string' }, catalog: { type: 'string' } } as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('detect', argv, options);
  const format = formatOf('detect', values.format);
  if (!positionals[0]) throw new VigilError('USAGE', 'vigil detect: give the LEAK file');
  const progress = progressReporter(io.stderr, ctx.log, 'detect', { leak: positionals[0] });
  let outcome: DetectOutcome;
  try {
    outcome = await runDetectCommand(
      { leak: positionals[0], original: values.original, catalogDir: values.catalog },
      {
        env: io.env, cwd: io.cwd, signal: io.signal, log: ctx.log, onProgress: (p) => progress.update(p),
        // The database is the record of allocations, but only when one is configured: detect never starts one.
        pool: io.env.DATABASE_URL ? async () => (await ctx.db()).pool : undefined,
      },
    );
  } finally {
    progress.done();
  }
  if (format === 'json') {
    const { native, ...rest } = outcome;
    print(io.stdout, JSON.stringify({ ...rest, pilotZ: native.pilotZ, dataZ: native.dataZ }, null, 2));
  } else {
    for (const line of describeOutcome(outcome)) print(io.stdout, line);
  }
  return outcome.found ? 0 : 1;
}
