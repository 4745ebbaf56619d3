/**
 * Secrets never reach output. Like Renovate's sanitizer: every secret the process knows (database
 * and Redis passwords, the webhook secret, the GitHub private key, the watermark key, the values of
 * source credential variables) is registered once and scrubbed from every log line, error and
 * message; on top of that, shapes that carry secrets whoever made them (URL userinfo, secret-named
 * query parameters, Authorization and Cookie headers, bearer tokens) are masked structurally, so a
 * secret nobody registered is still caught when it travels in a URL or a header.
 *
 * `redact` is the one function: pino runs it on every line (core/log.ts), the CLI on every error it
 * prints, the fetcher and the sources on every URL they put in a message.
 */

import { ENV, type Config } from './config.js';

export const MASK = '***';

/** Shorter values are not registered: masking every "abc" in every line would protect nothing and garble logs. */
export const MIN_SECRET_LENGTH = 4;

const registered = new Set<string>();
/** Longest first, so a secret that contains another is masked whole. */
let ordered: string[] = [];

/** The forms a secret takes in text: as is, percent-encoded (in a URL), JSON-escaped (in a log line). */
function formsOf(value: string): string[] {
  const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  try {
    forms.add(decodeURIComponent(value));
  } catch {
    // Not percent-encoded text; the raw form is enough.
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** Remembers a secret for the life of the process; empty and very short values are ignored. */
export function registerSecret(value: string | undefined): void {
  if (value === undefined) return;
  const trimmed = value.trim();
  if (trimmed.length < MIN_SECRET_LENGTH) return;
  let added = false;
  for (const form of [...formsOf(value), ...formsOf(trimmed)]) {
    if (!registered.has(form)) { registered.add(form); added = true; }
  }
  // A PEM key is also masked line by line: a log may hold a piece of it.
  for (const line of trimmed.split(/\r?\n|\\n/)) {
    if (line !== trimmed && line.length >= 16 && !line.startsWith('-----')) {
      if (!registered.has(line)) { registered.add(line); added = true; }
    }
  }
  if (added) ordered = [...registered].sort((a, b) => b.length - a.length);
}

/**
 * The password of a URL (DATABASE_URL, REDIS_URL), registered as a secret. A password that is the
 * user name or the scheme ("postgres:postgres@") is left to the userinfo mask: masking that word in
 * every line would garble them all and hide nothing an attacker could not guess.
 */
export function registerUrlPassword(url: string | undefined): void {
  if (!url) return;
  try {
    const u = new URL(url);
    const guessable = [u.username, u.protocol.replace(/:$/, '')].map((w) => decodeURIComponent(w).toLowerCase());
    if (u.password && !guessable.includes(decodeURIComponent(u.password).toLowerCase())) registerSecret(u.password);
  } catch {
    // An unparseable URL is refused by config before it is used; nothing to register.
  }
}

/** For tests: forget every registered secret. */
export function clearSecrets(): void {
  registered.clear();
  ordered = [];
}

/** Query parameter names whose values are credentials: exact names, then endings and prefixes. */
const SECRET_PARAMS = new Set([
  'key', 'apikey', 'api_key', 'passkey', 'token', 'access_token', 'refresh_token', 'id_token', 'auth', 'auth_token', 'authorization',
  'sig', 'signature', 'password', 'passwd', 'pwd', 'pass', 'secret', 'client_secret', 'private_token', 'session', 'sessionid', 'session_id', 'jwt', 'credential', 'credentials',
]);

export function isSecretName(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // Keep the raw name.
  }
  const n = decoded.toLowerCase().replace(/[-.\s]/g, '_');
  return SECRET_PARAMS.has(n)
    || /(^|_)(api_?key|access_?key|secret|password|token|signature|credential)$/.test(n)
    || /^x_(amz|goog)_/.test(n)
    || n.endsWith('apikey') || n.endsWith('passkey');
}

// A value stops at a delimiter of URLs, HTML, JSON strings and prose; never at (or past) a backslash,
// so a JSON-escaped quote survives and the line stays valid JSON.
const VALUE = String.raw`[^&#\s"'<>\\,;)\]}]*`;
const QUERY = new RegExp(String.raw`([?&;]|&amp;)([A-Za-z0-9_.%\-]{1,64})=(${VALUE})`, 'g');
// The same inside a percent-encoded URL (a URL carried in another URL's query).
const ENCODED_QUERY = /(%3F|%26)((?:[A-Za-z0-9_.-]|%5F|%2D){1,64})%3D((?:[^%&\s"'<>\\]|%(?!26)[0-9A-Fa-f]{2})*)/gi;
// The password may hold an unencoded '@': the authority ends at the last one before the path.
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:"'<>\\]*):([^\s/?#"'<>\\]+)@/gi;
const ENCODED_USERINFO = /\b([a-z][a-z0-9+.-]*%3A%2F%2F)([^\s%@:"'<>\\]*)%3A([^\s@"'<>\\]+?)%40/gi;
const HEADER = /\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|private-token)("?\s*[:=]\s*"?)(?!\*\*\*)([^"\r\n\\]+)/gi;
// A credential, not a word of prose ("basic authentication"): it has a capital, a digit or base64 padding.
const BEARER = /\b([Bb]earer|BEARER|[Bb]asic|BASIC)(\s+)(?!\*\*\*)(?=[A-Za-z0-9\-._~+/]*[A-Z0-9+/=])([A-Za-z0-9\-._~+/]{8,}=*)/g;

// Slack tokens have a shape of their own (xoxb-, xoxp-, xapp-, …): masked even when nobody registered them.
const SLACK_TOKEN = /\b(xox[abposr]|xapp)-[A-Za-z0-9-]{8,}/g;

function maskQuery(text: string): string {
  return text
    .replace(QUERY, (all, sep: string, name: string, value: string) => (value !== '' && value !== MASK && isSecretName(name) ? `${sep}${name}=${MASK}` : all))
    .replace(ENCODED_QUERY, (all, sep: string, name: string, value: string) => (value !== '' && isSecretName(name) ? `${sep}${name}%3D${MASK}` : all));
}

/** Masks every registered secret and every structurally secret shape in `text`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of ordered) if (out.includes(secret)) out = out.split(secret).join(MASK);
  out = out
    .replace(USERINFO, (_all, scheme: string, user: string) => `${scheme}${user}:${MASK}@`)
    .replace(ENCODED_USERINFO, (_all, scheme: string, user: string) => `${scheme}${user}%3A${MASK}%40`)
    .replace(HEADER, (_all, name: string, sep: string) => `${name}${sep}${MASK}`)
    .replace(BEARER, (_all, scheme: string, space: string) => `${scheme}${space}${MASK}`)
    .replace(SLACK_TOKEN, (_all, kind: string) => `${kind}-${MASK}`);
  return maskQuery(out);
}

/** The message of anything thrown, redacted. */
export function redactedMessage(error: unknown): string {
  return redact(error instanceof Error ? error.message : String(error));
}

/**
 * Registers every secret the configuration and environment hold: once, where the process starts
 * (the CLI's Context), before anything can log.
 */
export function registerProcessSecrets(config: Config, env: Record<string, string | undefined>): void {
  registerUrlPassword(config.databaseUrl);
  registerUrlPassword(config.redisUrl);
  registerSecret(config.github.privateKey);
  registerSecret(env[ENV.GITHUB_PRIVATE_KEY]);
  registerSecret(config.github.webhookSecret);
  registerSecret(config.slack.botToken);
  registerSecret(config.slack.signingSecret);
  registerSecret(config.slack.appToken);
  registerSecret(env[ENV.VIGIL_WATERMARK_KEY]);
  registerUrlPassword(config.takedown.smtpUrl);
  registerSecret(config.takedown.lumenToken);
  registerSecret(config.revocation.apiKey);
  registerSecret(config.revocation.akamai?.clientSecret);
  registerSecret(config.revocation.akamai?.accessToken);
  registerSecret(config.revocation.akamai?.clientToken);
  registerSecret(config.edge.tokenKey);
  registerSecret(config.edge.wmtKey);
  registerSecret(config.edge.sessionApiKey);
  registerSecret(config.web.oidc.clientSecret);
  registerSecret(config.web.sessionKey);
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(config.sourceEnvPrefix) && name !== ENV.VIGIL_SOURCE_ENV_PREFIX) registerSecret(value);
  }
}
