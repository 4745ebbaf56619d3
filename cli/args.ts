import { parseArgs, type ParseArgsConfig } from 'node:util';
import { VigilError } from '../core/errors.js';
import type { Format } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with errors a person can act on instead of Node's internal codes. */
export function parse<O extends Options>(command: string, argv: string[], options: O, maxPositionals = 1) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new VigilError('USAGE', `vigil ${command}: ${(error as Error).message.replace(/\. To specify a positional.*$/s, '')}`);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new VigilError('USAGE', `vigil ${command}: unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`);
  }
  return parsed;
}

export const formatOption = { format: { type: 'string', default: 'text' } } as const;

export function formatOf(command: string, value: unknown): Format {
  if (value === 'text' || value === 'json') return value;
  throw new VigilError('USAGE', `vigil ${command}: --format must be text or json, not ${JSON.stringify(value)}`);
}
