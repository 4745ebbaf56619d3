import path from 'node:path';
import { VigilError } from '../../core/errors.js';
import { evidenceBuilder } from '../../runners/evidence/builder.js';
import { defaultPackName } from '../../runners/evidence/pack.js';
import { formatOf, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { packageVersion } from '../version.js';

export const usage = `vigil evidence FINDING [--out FILE.zip] [--force] [--resolve HOST:PORT:ADDR]... [--allow-private] [--format text|json]
  Build the evidence pack of a finding (its #ID in vigil findings) as one zip: the page as fetched
  (page.warc.gz, WARC/1.1 request and response with headers and time), the matched frames beside
  the reference frames (frames/*.png, the leak fetched again), the fingerprint distances, every
  notice with its delivery receipts, the re-checks, the detection result, the finding with its audit
  trail, and manifest.json / manifest.sha256 (SHA-256 of every file; check with sha256sum -c).
  A part that cannot be made (the leak is gone, no reference media) is listed in the manifest with
  why. --out defaults to evidence-FINDING.zip here; an existing file is kept unless --force. The
  pack is written as FILE.zip.tmp and renamed when whole. Reference media resolve under
  VIGIL_MEDIA_ROOT. --resolve and --allow-private as in vigil scan (tests and labs only).`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  out: { type: 'string' },
  force: { type: 'boolean', default: false },
  resolve: { type: 'string', multiple: true },
  'allow-private': { type: 'boolean', default: false },
  format: { type: 'string', default: 'text' },
} as const;

function findingIdOf(raw: string | undefined): number {
  const id = Number((raw ?? '').replace(/^#/, ''));
  if (!raw || !Number.isSafeInteger(id) || id < 1) throw new VigilError('USAGE', `vigil evidence: FINDING must be a finding id such as 42 (vigil findings lists them), not ${JSON.stringify(raw ?? '')}`);
  return id;
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('evidence', argv, options, 1);
  const format = formatOf('evidence', values.format);
  const findingId = findingIdOf(positionals[0]);
  const out = path.resolve(io.cwd, values.out ?? defaultPackName(findingId));
  if (!out.endsWith('.zip')) throw new VigilError('USAGE', `vigil evidence: --out ${JSON.stringify(values.out)} must name a .zip file`);
  const db = await ctx.db();
  const builder = evidenceBuilder({
    pool: db.pool, config: ctx.config, software: `Vigil ${packageVersion()}`, resolve: values.resolve ?? [], allowPrivate: values['allow-private'], signal: io.signal,
  });
  const pack = await builder.build(findingId, out, { overwrite: values.force });
  if (format === 'json') {
    print(io.stdout, JSON.stringify(pack, null, 2));
    return 0;
  }
  print(io.stdout, `Evidence pack of finding #${findingId}: ${pack.file} (${pack.bytes} bytes, sha256 ${pack.sha256})`);
  for (const f of pack.files) print(io.stdout, `  ${f.path}  ${f.bytes} bytes  ${f.sha256.slice(0, 16)}…  ${f.what}`);
  print(io.stdout, '  manifest.sha256  (sha256sum -c manifest.sha256 checks every file above)');
  for (const m of pack.missing) print(io.stdout, `  not in the pack: ${m.part}: ${m.why}`);
  return 0;
}
