import { createRequire } from 'node:module';

/**
 * The compiled addon (native/build/Release/vigil_native.node), loaded once for every wrapper in
 * native/. Found next to this file when run from source, or from dist/native when compiled.
 */
const require = createRequire(import.meta.url);
const CANDIDATES = ['./build/Release/vigil_native.node', '../../native/build/Release/vigil_native.node'];

let cached: unknown;

export function addon<T>(): T {
  if (cached !== undefined) return cached as T;
  let lastError: unknown;
  for (const candidate of CANDIDATES) {
    try {
      cached = require(candidate);
      return cached as T;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(
    `vigil native addon not built (run "npm run build:native"): ${lastError instanceof Error ? lastError.message : String(lastError)}`,
  );
}
