import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The version in Vigil's package.json. Found by walking up from this file because the compiled CLI
 * (dist/cli/) sits one folder deeper than the source (cli/).
 */
export function packageVersion(from = import.meta.dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vigil' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
