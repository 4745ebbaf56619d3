/**
 * Akamai EdgeGrid request signing (EG1-HMAC-SHA256), written from Akamai's published protocol
 * (techdocs.akamai.com/developer/docs/authenticate-with-edgegrid and the older
 * developer.akamai.com/introduction/Client_Auth.html):
 *
 *   Authorization: EG1-HMAC-SHA256 client_token=…;access_token=…;timestamp=yyyyMMddTHH:mm:ss+0000;nonce=…;signature=…
 *
 * - signing key = base64(HMAC-SHA256(key = client secret, data = timestamp)); the base64 text itself
 *   is the key of the next HMAC;
 * - data to sign = the tab-joined METHOD, scheme, host (with port), path with query, the canonical
 *   signed headers (none for this API), base64(SHA-256(body)) for a POST with a body (the first
 *   max_body bytes, 131,072 by default; empty otherwise), and the authorization header as far as
 *   `nonce=…;`;
 * - signature = base64(HMAC-SHA256(key = signing key, data = data to sign)).
 *
 * The verifying side (test/support/fake-akamai.ts) is written separately so a shared mistake cannot
 * pass for a correct signature; test/edge/edgegrid.test.ts checks both against vectors from
 * Akamai's client test data and from python3's hmac module.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { VigilError } from '../core/errors.js';

export interface EdgeGridCredentials {
  /** `akab-….luna.akamaiapis.net`, or a base URL with a scheme (`http://127.0.0.1:PORT` for a local server). */
  host: string;
  clientToken: string;
  clientSecret: string;
  accessToken: string;
  /** Bytes of a POST body that the content hash covers (.edgerc `max-body`/`max_body`). */
  maxBody: number;
}

export const DEFAULT_MAX_BODY = 131_072;

export interface SignableRequest {
  method: string;
  url: URL;
  body?: Buffer | string;
  /** Headers the API asks to sign, in order (none for Access Revocation). */
  headersToSign?: Array<[string, string]>;
}

/** `yyyyMMddTHH:mm:ss+0000`, in UTC. */
export function edgeGridTimestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCFullYear()}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}T${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}+0000`;
}

function hmacBase64(key: string, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('base64');
}

/** The tab-separated string the signature covers; exported for tests and for debugging a 401. */
export function edgeGridDataToSign(request: SignableRequest, unsignedHeader: string, maxBody: number): string {
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const method = request.method.toUpperCase();
  const contentHash = method === 'POST' && body.length > 0 ? createHash('sha256').update(body.subarray(0, maxBody)).digest('base64') : '';
  const headers = (request.headersToSign ?? []).map(([name, value]) => `${name.toLowerCase()}:${value.trim().replace(/\s+/g, ' ')}`).join('\t');
  return [
    method,
    request.url.protocol.replace(/:$/, ''),
    request.url.host,
    `${request.url.pathname}${request.url.search}`,
    headers,
    contentHash,
    unsignedHeader,
  ].join('\t');
}

/** The Authorization header for one request; timestamp and nonce are fixed only by tests. */
export function edgeGridAuthorization(
  request: SignableRequest,
  credentials: EdgeGridCredentials,
  at: { timestamp?: string; nonce?: string } = {},
): string {
  const timestamp = at.timestamp ?? edgeGridTimestamp(new Date());
  const nonce = at.nonce ?? randomUUID();
  const unsigned = `EG1-HMAC-SHA256 client_token=${credentials.clientToken};access_token=${credentials.accessToken};timestamp=${timestamp};nonce=${nonce};`;
  const signingKey = hmacBase64(credentials.clientSecret, timestamp);
  const signature = hmacBase64(signingKey, edgeGridDataToSign(request, unsigned, credentials.maxBody));
  return `${unsigned}signature=${signature}`;
}

/** The API's base URL from an .edgerc `host`: https unless the host names its own scheme. */
export function edgeGridBaseUrl(host: string): URL {
  return new URL(/^https?:\/\//i.test(host) ? host : `https://${host}`);
}

/**
 * One section of an .edgerc file (INI: `[section]`, `key = value`, `;` or `#` comments, values
 * optionally in quotes). Names both `max-body` and `max_body`, as Akamai's own clients accept.
 */
export function parseEdgerc(text: string, section: string, file: string): EdgeGridCredentials {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      current = new Map();
      sections.set((header[1] ?? '').trim(), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !current) continue;
    const key = line.slice(0, eq).trim().replace(/-/g, '_');
    let value = line.slice(eq + 1).trim();
    const quoted = /^(["'])(.*?)\1/.exec(value);
    // Quotes keep a ';' inside a value; outside quotes it starts a comment.
    value = quoted ? (quoted[2] ?? '') : value.replace(/\s[;#].*$/, '').trim();
    current.set(key, value);
  }
  const values = sections.get(section);
  if (!values) {
    throw new VigilError('AKAMAI_CREDENTIALS_INVALID', `${file} has no [${section}] section (sections: ${[...sections.keys()].join(', ') || 'none'})`);
  }
  const need = (key: string): string => {
    const value = values.get(key);
    if (!value) throw new VigilError('AKAMAI_CREDENTIALS_INVALID', `${file} [${section}] has no ${key}`);
    return value;
  };
  const maxBodyText = values.get('max_body');
  const maxBody = maxBodyText === undefined ? DEFAULT_MAX_BODY : Number(maxBodyText);
  if (!Number.isInteger(maxBody) || maxBody <= 0) {
    throw new VigilError('AKAMAI_CREDENTIALS_INVALID', `${file} [${section}] max_body=${maxBodyText} is not a whole number of bytes`);
  }
  return { host: need('host'), clientToken: need('client_token'), clientSecret: need('client_secret'), accessToken: need('access_token'), maxBody };
}
