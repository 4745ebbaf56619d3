/**
 * The `akamai` revocation target: the same adds and removes, pushed to Akamai's Access Revocation
 * API v2 (`https://{host}/taas/v2`, EdgeGrid-signed, edgegrid.ts):
 *   POST /revocation-lists/{revocationListId}/identifiers/add     [{ id, durationSeconds }]  -> 200 { count, limit }
 *   POST /revocation-lists/{revocationListId}/identifiers/remove  ["id", …]                   -> 200 { count, limit }
 *   GET  /revocation-lists/{revocationListId}/meta                                              -> 200 { count, limit }
 * Errors are application/problem+json { type, title, status, detail, instance }. A 429 (the
 * "Rate limiting" page of the API's docs; its limits are not in the OpenAPI description) and a 5xx
 * are tried again, after Retry-After when Akamai sends one (seconds; capped), else with backoff;
 * any other error is final and named with Akamai's own detail.
 */
import fs from 'node:fs/promises';
import type { AkamaiTargetConfig, Config } from '../core/config.js';
import { ENV } from '../core/config.js';
import { VigilError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { DEFAULT_MAX_BODY, edgeGridAuthorization, edgeGridBaseUrl, parseEdgerc, type EdgeGridCredentials } from './edgegrid.js';
import type { RevocationItem, RevocationMeta } from './revocation-store.js';
import type { RevocationTarget } from './revocation-target.js';

/** Credentials from AKAMAI_* variables, else from the .edgerc file and section named. */
export async function akamaiCredentials(config: AkamaiTargetConfig): Promise<EdgeGridCredentials> {
  const fromEnv = { host: config.host, clientToken: config.clientToken, clientSecret: config.clientSecret, accessToken: config.accessToken };
  if (config.edgerc === undefined || Object.values(fromEnv).every((v) => v !== undefined)) {
    const missing = Object.entries({ [ENV.AKAMAI_HOST]: config.host, [ENV.AKAMAI_CLIENT_TOKEN]: config.clientToken, [ENV.AKAMAI_CLIENT_SECRET]: config.clientSecret, [ENV.AKAMAI_ACCESS_TOKEN]: config.accessToken })
      .filter(([, v]) => v === undefined).map(([k]) => k);
    if (missing.length > 0) throw new VigilError('AKAMAI_CREDENTIALS_INVALID', `the Akamai revocation target needs ${missing.join(', ')} (or ${ENV.VIGIL_AKAMAI_EDGERC})`);
    return { ...(fromEnv as Omit<EdgeGridCredentials, 'maxBody'>), maxBody: DEFAULT_MAX_BODY };
  }
  let text: string;
  try {
    text = await fs.readFile(config.edgerc.path, 'utf8');
  } catch (error) {
    throw new VigilError('AKAMAI_CREDENTIALS_INVALID', `cannot read ${ENV.VIGIL_AKAMAI_EDGERC}=${config.edgerc.path}: ${(error as Error).message}`, { cause: error });
  }
  const fromFile = parseEdgerc(text, config.edgerc.section, config.edgerc.path);
  // A variable set beside the file wins, so one value can be overridden without editing the file.
  return {
    host: config.host ?? fromFile.host,
    clientToken: config.clientToken ?? fromFile.clientToken,
    clientSecret: config.clientSecret ?? fromFile.clientSecret,
    accessToken: config.accessToken ?? fromFile.accessToken,
    maxBody: fromFile.maxBody,
  };
}

export interface AkamaiTargetOptions {
  credentials: EdgeGridCredentials;
  /** Every push goes to this Akamai list; without it, to the list with the same id as Vigil's. */
  listId?: number;
  log?: Logger;
  /** Tries for a 429, a 5xx or a failed connection (default 4). */
  attempts?: number;
  /** Longest wait between tries, whatever Retry-After says (default 10 s). */
  maxWaitMs?: number;
  /** Per request (default 15 s). */
  timeoutMs?: number;
}

interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
}

export interface AkamaiTarget extends RevocationTarget {
  meta(listId: number): Promise<RevocationMeta>;
}

function isMeta(value: unknown): value is RevocationMeta {
  return typeof value === 'object' && value !== null && Number.isInteger((value as RevocationMeta).count) && Number.isInteger((value as RevocationMeta).limit);
}

export function akamaiTarget(options: AkamaiTargetOptions): AkamaiTarget {
  const base = edgeGridBaseUrl(options.credentials.host);
  const attempts = options.attempts ?? 4;
  const maxWaitMs = options.maxWaitMs ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const akamaiList = (listId: number) => options.listId ?? listId;

  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<RevocationMeta> => {
    const url = new URL(`${base.pathname.replace(/\/$/, '')}/taas/v2${path}`, base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let last = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let waitMs = Math.min(maxWaitMs, 500 * 2 ** (attempt - 1));
      try {
        const headers: Record<string, string> = {
          Accept: 'application/json',
          // Signed per try: a new timestamp and nonce, since Akamai refuses a replayed nonce.
          Authorization: edgeGridAuthorization({ method, url, body: payload }, options.credentials),
        };
        if (payload !== undefined) headers['Content-Type'] = 'application/json';
        const response = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(timeoutMs) });
        const text = await response.text();
        if (response.ok) {
          const parsed: unknown = JSON.parse(text);
          if (!isMeta(parsed)) throw new VigilError('AKAMAI_REQUEST_FAILED', `Akamai answered ${method} ${url.href} with ${response.status} but not the documented {count, limit}: ${text.slice(0, 200)}`);
          return parsed;
        }
        let problem: Problem = {};
        try { problem = JSON.parse(text) as Problem; } catch { problem = { detail: text.slice(0, 200) }; }
        last = `Akamai answered ${method} ${url.href} with ${response.status} ${problem.type ?? ''}: ${problem.detail ?? problem.title ?? '(no detail)'}${problem.instance ? ` (instance ${problem.instance})` : ''}`;
        if (response.status !== 429 && response.status < 500) throw new VigilError('AKAMAI_REQUEST_FAILED', last);
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter >= 0 && response.headers.get('retry-after') !== null) waitMs = Math.min(maxWaitMs, retryAfter * 1000);
      } catch (error) {
        if (error instanceof VigilError) throw error;
        last = `cannot reach Akamai at ${url.href}: ${(error as Error).message}`;
      }
      if (attempt < attempts) {
        options.log?.warn({ url: url.href, attempt, waitMs, err: last }, 'Akamai revocation call failed; trying again');
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
    throw new VigilError('AKAMAI_REQUEST_FAILED', `${last} (after ${attempts} tries)`);
  };

  return {
    name: 'akamai',
    add: (listId: number, items: RevocationItem[]) => call('POST', `/revocation-lists/${akamaiList(listId)}/identifiers/add`, items.map((i) => ({ id: i.id, durationSeconds: i.durationSeconds }))),
    remove: (listId: number, ids: string[]) => call('POST', `/revocation-lists/${akamaiList(listId)}/identifiers/remove`, ids),
    meta: (listId: number) => call('GET', `/revocation-lists/${akamaiList(listId)}/meta`),
  };
}

/** The targets besides the local store that this configuration names: Akamai when its credentials are set. */
export async function mirrorsFromConfig(config: Config, log?: Logger): Promise<RevocationTarget[]> {
  const akamai = config.revocation.akamai;
  if (akamai === undefined) return [];
  return [akamaiTarget({ credentials: await akamaiCredentials(akamai), listId: akamai.listId, log })];
}
