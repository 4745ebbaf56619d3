import { VigilError } from '../core/errors.js';

/** '30s', '5m', '1h', '2d' → milliseconds. */
export function parseDuration(option: string, value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) throw new VigilError('USAGE', `${option} must be a duration such as 30s, 5m or 1h, not ${JSON.stringify(value)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
