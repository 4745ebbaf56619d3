import { DEFAULT_SOURCE_ENV_PREFIX, ENV } from '../config.js';

/**
 * Which environment variables a catalog source may read for its credential. The catalog is edited
 * through pull requests, the environment holds every secret of the process: a source whose URL is
 * an attacker's host and whose `apiKeyEnv` names DATABASE_URL would send the database password there.
 * So a source may name only variables with the configured prefix, and never one of Vigil's own.
 */

const OWN_SETTINGS: ReadonlySet<string> = new Set(Object.values(ENV));

/** Why a source may not read `name`, or undefined when it may. */
export function credentialEnvProblem(name: string, prefix = DEFAULT_SOURCE_ENV_PREFIX): string | undefined {
  const why = 'so that a catalog change cannot send another secret of this process (a database password, a private key) to a site';
  if (OWN_SETTINGS.has(name)) {
    return `apiKeyEnv ${name} is one of Vigil's own settings, not a source credential: sources may read only variables starting with ${prefix} (${ENV.VIGIL_SOURCE_ENV_PREFIX}), ${why}`;
  }
  if (!name.startsWith(prefix) || name.length === prefix.length) {
    return `apiKeyEnv ${name} does not start with ${prefix}: sources may read only variables with that prefix (${ENV.VIGIL_SOURCE_ENV_PREFIX}), ${why}; put the key in e.g. ${prefix}${name.replace(/^VIGIL_/, '') || 'KEY'}`;
  }
  return undefined;
}
