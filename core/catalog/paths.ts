/**
 * Paths a catalog names (EmbedJob input, output pattern, visible image) are written by whoever can
 * open a pull request, and recipient names fill the output pattern. A path that climbs out with
 * `..`, starts at the root, or smuggles either past a reviewer (percent-encoded, with backslashes,
 * with a NUL that cuts the string short in C) must not reach ffmpeg. Pure: strings in, a problem out.
 */

/** Percent-decodes up to three times, so `%252e%252e` shows as the `..` it stands for. */
function decoded(value: string): string {
  let text = value;
  for (let i = 0; i < 3; i++) {
    const next = text.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === text) break;
    text = next;
  }
  return text;
}

export interface PathRules {
  /** Absolute paths and `..` are allowed (inputs read from a media volume, with the Policy allowance). */
  allowOutside: boolean;
}

/** Why `value` may not be used as a catalog path, or undefined when it may. */
export function pathProblem(value: string, rules: PathRules): string | undefined {
  const plain = decoded(value);
  if (plain.includes('\u0000')) return 'holds a NUL character';
  if (rules.allowOutside) return undefined;
  const slashed = plain.replace(/\\/g, '/');
  const how = plain === value ? '' : ' (once decoded)';
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) return `is an absolute path${how}`;
  if (slashed.split('/').some((segment) => segment.trim() === '..')) return `has a ".." segment${how}`;
  return undefined;
}

export interface PatternValues {
  basename: string;
  recipient: string;
  watermarkId: number;
  ext: string;
}

/** An EmbedJob output pattern with its tokens filled in; validate and the embed runner both use it. */
export function expandPattern(pattern: string, values: PatternValues): string {
  return pattern.replace(/\{(basename|recipient|watermarkId|ext)\}/g, (_, token: keyof PatternValues) => String(values[token]));
}
