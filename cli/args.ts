import { parseArgs, type ParseArgsConfig } from 'node:util';
import { VigilError } from '../core/errors.js';
import type { Format } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The arguments before the POSIX end-of-options `--`: what may be an option. After it every
 * argument is a value, even one that starts with '-' (a session id may: it is random base64url).
 */
export function optionArgs(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end === -1 ? argv : argv.slice(0, end);
}

/** parseArgs with errors a person can act on instead of Node's internal codes. */
export function parse<O extends Options>(command: string, argv: string[], options: O, maxPositionals = 1) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional.*$/s, '');
    // Node names only the first letter of '-abc': a value like that (a session id) wants the whole argument and where it goes.
    // '--colour' is far likelier a mistyped option than a value: Node's words say it.
    const unknown = (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? unknownOption(argv, options) : undefined;
    throw new VigilError('USAGE', unknown && !unknown.startsWith('--')
      ? `vigil ${command}: unknown option ${JSON.stringify(unknown)}; a value that starts with '-' (such as a session id) goes after --, as in: vigil ${command} … -- ${unknown}`
      : `vigil ${command}: ${message}${unknown ? `; a value that starts with '-' goes after --, as in: vigil ${command} … -- ${unknown}` : ''}`);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new VigilError('USAGE', `vigil ${command}: unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`);
  }
  return parsed;
}

/** The first argument before `--` that looks like an option the command does not have. */
function unknownOption(argv: readonly string[], options: Options): string | undefined {
  const shorts = new Set(Object.values(options).map((o) => o.short).filter((s): s is string => s !== undefined));
  return optionArgs(argv).find((arg) => {
    if (!arg.startsWith('-') || arg === '-') return false;
    if (arg.startsWith('--')) return !Object.hasOwn(options, arg.slice(2).split('=')[0]!);
    return ![...arg.slice(1)].every((c) => shorts.has(c));
  });
}

export const formatOption = { format: { type: 'string', default: 'text' } } as const;

export function formatOf(command: string, value: unknown): Format {
  if (value === 'text' || value === 'json') return value;
  throw new VigilError('USAGE', `vigil ${command}: --format must be text or json, not ${JSON.stringify(value)}`);
}
