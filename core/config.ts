import path from 'node:path';
import { checkBranchName, parseCatalogRepo, type CatalogRepo } from './catalog-repo.js';
import { VigilError } from './errors.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat } from './log.js';

/**
 * Every environment variable Vigil reads, in one place. Parsed once at the edge; the rest of the
 * code takes a Config and never reads process.env.
 */
export interface Config {
  /** PostgreSQL server; undefined means the embedded PostgreSQL under `home`. */
  databaseUrl: string | undefined;
  /** Redis server; undefined means a redis-server that Vigil starts itself under `home`. */
  redisUrl: string | undefined;
  /** Where embedded services, git mirrors and caches live. */
  home: string;
  /** Key prefix for BullMQ; wrapped in {} so every queue key hashes to one Redis Cluster slot. */
  queuePrefix: string;
  logLevel: string;
  /** Undefined: pretty at a terminal, JSON lines otherwise. */
  logFormat: LogFormat | undefined;
  github: {
    appId: string | undefined;
    privateKey: string | undefined;
    webhookSecret: string | undefined;
    apiUrl: string;
    catalogPath: string;
    /** The one repository the App follows (VIGIL_CATALOG_REPO); `vigil serve` refuses to start without it. */
    catalogRepo: CatalogRepo | undefined;
    /** The branch it reconciles (VIGIL_CATALOG_BRANCH); undefined means the repository's default branch. */
    catalogBranch: string | undefined;
  };
  port: number;
  /** Interface servers listen on (VIGIL_BIND); loopback unless told otherwise, so nothing is exposed by accident. */
  bind: string;
  /** Where reference media paths in the catalog resolve (they rarely live in git). */
  mediaRoot: string;
  crawler: {
    /** Let the crawler reach private, loopback and link-local addresses: labs and tests only. */
    allowPrivate: boolean;
    /** curl-style HOST:PORT:ADDR overrides of name resolution. */
    resolve: string[];
  };
  /** Catalog sources may name only environment variables with this prefix for their credentials. */
  sourceEnvPrefix: string;
  slack: SlackConfig;
  /**
   * Where RDAP servers are found (VIGIL_RDAP_BOOTSTRAP): URLs or paths, comma-separated, of JSON in
   * IANA's bootstrap format (dns.json, ipv4.json, ipv6.json); undefined means the built-in table of
   * the big registries. Closed networks and tests point it at their own servers.
   */
  rdapBootstrap: string[] | undefined;
  /** Where takedown notices go besides the hosts' own contacts (runners/takedown/channels). */
  takedown: TakedownChannelsConfig;
  /** The revocation API and where its revocations are pushed besides Redis (edge/). */
  revocation: RevocationConfig;
  /** Session tokens and the A/B edge (edge/). */
  edge: EdgeConfig;
  /**
   * Where a worker process (vigil worker, vigil up, vigil slack over Socket Mode) serves Prometheus
   * /metrics (VIGIL_METRICS_PORT; the interface is VIGIL_BIND). Undefined: DEFAULT_METRICS_PORT,
   * or a free port when another process of the machine holds that one; a port set is kept or refused.
   */
  metricsPort: number | undefined;
  /** The read-only web view (web/) and who may sign in to it. */
  web: WebConfig;
}

/**
 * How the web view knows who is looking: an OIDC provider (authorization code flow with PKCE), a
 * reverse proxy that signs people in and names them in a header, or nobody at all (development,
 * loopback only). There is no default: `vigil web` refuses to start until one is chosen.
 */
export const WEB_AUTH_MODES = ['oidc', 'proxy', 'dev'] as const;
export type WebAuthMode = (typeof WEB_AUTH_MODES)[number];

export interface WebConfig {
  /** Where `vigil web` listens (VIGIL_WEB_PORT, default 3005; the interface is VIGIL_BIND). */
  port: number;
  /** VIGIL_WEB_AUTH; undefined: not chosen, and the web view does not serve. */
  auth: WebAuthMode | undefined;
  oidc: {
    /** The provider's issuer URL (VIGIL_OIDC_ISSUER); its discovery document is ISSUER/.well-known/openid-configuration. */
    issuer: string | undefined;
    clientId: string | undefined;
    /** VIGIL_OIDC_CLIENT_SECRET, a secret; undefined for a public client (PKCE alone). */
    clientSecret: string | undefined;
    /** The callback URL registered with the provider (VIGIL_OIDC_REDIRECT_URL); undefined: http://HOST:PORT/auth/callback. */
    redirectUrl: string | undefined;
  };
  proxy: {
    /** The header the proxy names the signed-in person in (VIGIL_WEB_PROXY_HEADER, e.g. X-Forwarded-User), lower-cased. */
    header: string | undefined;
    /** The one address the header is believed from (VIGIL_WEB_PROXY_ADDRESS), the proxy's. */
    address: string | undefined;
  };
  /** Signs the sign-in cookie (VIGIL_WEB_SESSION_KEY), a secret; undefined: a random key per process (a restart signs everyone out). */
  sessionKey: string | undefined;
}

/** The metrics port when none is set: the one OpenTelemetry's Prometheus exporter uses. */
export const DEFAULT_METRICS_PORT = 9464;

/** A metrics port from --metrics-port or VIGIL_METRICS_PORT; `name` says which, for the error. */
export function parseMetricsPort(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) {
    throw new VigilError('METRICS_PORT_INVALID', `${name}=${value} is not a port number (0-65535; 0 picks a free port)`);
  }
  return port;
}

export interface RevocationConfig {
  /** The bearer key every revocation API call must carry (VIGIL_REVOCATION_API_KEY), a secret; the API does not serve without it. */
  apiKey: string | undefined;
  /** Where `vigil revocation serve` listens (VIGIL_REVOCATION_PORT, default 3004; the interface is VIGIL_BIND). */
  port: number;
  /**
   * Akamai's Access Revocation as a second target: credentials from AKAMAI_HOST, AKAMAI_CLIENT_TOKEN,
   * AKAMAI_CLIENT_SECRET and AKAMAI_ACCESS_TOKEN, or an .edgerc file (VIGIL_AKAMAI_EDGERC, section
   * VIGIL_AKAMAI_EDGERC_SECTION); undefined when neither is set. The file is read by edge/, not here.
   */
  akamai: AkamaiTargetConfig | undefined;
}

export interface AkamaiTargetConfig {
  edgerc: { path: string; section: string } | undefined;
  host: string | undefined;
  clientToken: string | undefined;
  clientSecret: string | undefined;
  accessToken: string | undefined;
  /** The Akamai revocation list every push goes to (VIGIL_AKAMAI_LIST_ID); undefined: the same id as Vigil's list. */
  listId: number | undefined;
}

/** Session tokens and the A/B edge (edge/); keys are hex, checked where they are used (EDGE_NOT_CONFIGURED). */
export interface EdgeConfig {
  /** The EdgeAuth key (VIGIL_EDGE_TOKEN_KEY), hex, shared with the CDN property or every `vigil edge`. */
  tokenKey: string | undefined;
  /** The watermarking-token HMAC key (VIGIL_WMT_KEY), hex. */
  wmtKey: string | undefined;
  /** The bearer key of the session API (VIGIL_SESSION_API_KEY); the API runs only when it is set. */
  sessionApiKey: string | undefined;
  /** The edge's public base URL for the playlist URLs sessions print (VIGIL_EDGE_URL); undefined: the edge's own address (vigil session start: http://127.0.0.1:8080). */
  publicUrl: string | undefined;
  /** The Redis revocation list ids the edge enforces (VIGIL_EDGE_REVOCATION_LISTS, comma-separated); undefined: every list. */
  revocationLists: number[] | undefined;
}

export interface TakedownChannelsConfig {
  /** smtp://user:pass@host:587 or smtps://… (VIGIL_SMTP_URL); without it no notice is e-mailed. */
  smtpUrl: string | undefined;
  /** A Lumen-database API base (VIGIL_LUMEN_URL); with its token, every notice is also submitted there. */
  lumenUrl: string | undefined;
  /** The Lumen submitter's authentication_token (VIGIL_LUMEN_TOKEN), a secret. */
  lumenToken: string | undefined;
  /** Where search-delisting batch files are written (VIGIL_DELISTING_DIR, default VIGIL_HOME/delisting). */
  delistingDir: string;
}

/** How Slack reaches the bot: signed HTTP requests (the default), or a Socket Mode WebSocket the bot opens. */
export const SLACK_TRANSPORTS = ['http', 'socket'] as const;
export type SlackTransport = (typeof SLACK_TRANSPORTS)[number];

export interface SlackConfig {
  /** xoxb-… (SLACK_BOT_TOKEN); without it the bot does not run. */
  botToken: string | undefined;
  /** Verifies every HTTP request (SLACK_SIGNING_SECRET); the HTTP transport needs it. */
  signingSecret: string | undefined;
  /** xapp-… app-level token (SLACK_APP_TOKEN); the Socket Mode transport needs it. */
  appToken: string | undefined;
  transport: SlackTransport;
  /** The Web API base, ending in '/' (SLACK_API_URL; https://slack.com/api/ unless a test or a proxy says otherwise). */
  apiUrl: string;
  /** Where the HTTP transport listens (VIGIL_SLACK_PORT, default 3001; the interface is VIGIL_BIND). */
  port: number;
  /** Messages posted per second per channel (VIGIL_SLACK_POST_RATE): Slack allows about one. */
  postsPerSecond: number;
}

/** What is missing for the bot to run with its transport; empty when it can run. */
export function missingSlackSettings(slack: SlackConfig): string[] {
  return [
    slack.botToken ? undefined : ENV.SLACK_BOT_TOKEN as string,
    slack.transport === 'http' && !slack.signingSecret ? ENV.SLACK_SIGNING_SECRET : undefined,
    slack.transport === 'socket' && !slack.appToken ? ENV.SLACK_APP_TOKEN : undefined,
  ].filter((name): name is string => name !== undefined);
}

/** Whether any Slack setting is present: `vigil up` runs the bot then, and says what is missing if it cannot. */
export function slackRequested(slack: SlackConfig): boolean {
  return Boolean(slack.botToken || slack.signingSecret || slack.appToken);
}

/** Source credentials live in VIGIL_SOURCE_* unless VIGIL_SOURCE_ENV_PREFIX says otherwise. */
export const DEFAULT_SOURCE_ENV_PREFIX = 'VIGIL_SOURCE_';

export const ENV = {
  DATABASE_URL: 'DATABASE_URL',
  REDIS_URL: 'REDIS_URL',
  VIGIL_HOME: 'VIGIL_HOME',
  VIGIL_QUEUE_PREFIX: 'VIGIL_QUEUE_PREFIX',
  VIGIL_LOG_LEVEL: 'VIGIL_LOG_LEVEL',
  VIGIL_LOG_FORMAT: 'VIGIL_LOG_FORMAT',
  GITHUB_APP_ID: 'GITHUB_APP_ID',
  GITHUB_PRIVATE_KEY: 'GITHUB_PRIVATE_KEY',
  GITHUB_WEBHOOK_SECRET: 'GITHUB_WEBHOOK_SECRET',
  GITHUB_API_URL: 'GITHUB_API_URL',
  VIGIL_CATALOG_PATH: 'VIGIL_CATALOG_PATH',
  VIGIL_CATALOG_REPO: 'VIGIL_CATALOG_REPO',
  VIGIL_CATALOG_BRANCH: 'VIGIL_CATALOG_BRANCH',
  VIGIL_BIND: 'VIGIL_BIND',
  PORT: 'PORT',
  VIGIL_WATERMARK_KEY: 'VIGIL_WATERMARK_KEY',
  VIGIL_WATERMARK_KEY_FILE: 'VIGIL_WATERMARK_KEY_FILE',
  VIGIL_WATERMARK_KEYRING_DIR: 'VIGIL_WATERMARK_KEYRING_DIR',
  VIGIL_MEDIA_ROOT: 'VIGIL_MEDIA_ROOT',
  VIGIL_CRAWL_ALLOW_PRIVATE: 'VIGIL_CRAWL_ALLOW_PRIVATE',
  VIGIL_CRAWL_RESOLVE: 'VIGIL_CRAWL_RESOLVE',
  VIGIL_SOURCE_ENV_PREFIX: 'VIGIL_SOURCE_ENV_PREFIX',
  SLACK_BOT_TOKEN: 'SLACK_BOT_TOKEN',
  SLACK_SIGNING_SECRET: 'SLACK_SIGNING_SECRET',
  SLACK_APP_TOKEN: 'SLACK_APP_TOKEN',
  SLACK_API_URL: 'SLACK_API_URL',
  VIGIL_SLACK_TRANSPORT: 'VIGIL_SLACK_TRANSPORT',
  VIGIL_SLACK_PORT: 'VIGIL_SLACK_PORT',
  VIGIL_SLACK_POST_RATE: 'VIGIL_SLACK_POST_RATE',
  VIGIL_RDAP_BOOTSTRAP: 'VIGIL_RDAP_BOOTSTRAP',
  VIGIL_SMTP_URL: 'VIGIL_SMTP_URL',
  VIGIL_LUMEN_URL: 'VIGIL_LUMEN_URL',
  VIGIL_LUMEN_TOKEN: 'VIGIL_LUMEN_TOKEN',
  VIGIL_DELISTING_DIR: 'VIGIL_DELISTING_DIR',
  VIGIL_REVOCATION_API_KEY: 'VIGIL_REVOCATION_API_KEY',
  VIGIL_REVOCATION_PORT: 'VIGIL_REVOCATION_PORT',
  AKAMAI_HOST: 'AKAMAI_HOST',
  AKAMAI_CLIENT_TOKEN: 'AKAMAI_CLIENT_TOKEN',
  AKAMAI_CLIENT_SECRET: 'AKAMAI_CLIENT_SECRET',
  AKAMAI_ACCESS_TOKEN: 'AKAMAI_ACCESS_TOKEN',
  VIGIL_AKAMAI_EDGERC: 'VIGIL_AKAMAI_EDGERC',
  VIGIL_AKAMAI_EDGERC_SECTION: 'VIGIL_AKAMAI_EDGERC_SECTION',
  VIGIL_AKAMAI_LIST_ID: 'VIGIL_AKAMAI_LIST_ID',
  VIGIL_EDGE_TOKEN_KEY: 'VIGIL_EDGE_TOKEN_KEY',
  VIGIL_WMT_KEY: 'VIGIL_WMT_KEY',
  VIGIL_SESSION_API_KEY: 'VIGIL_SESSION_API_KEY',
  VIGIL_EDGE_URL: 'VIGIL_EDGE_URL',
  VIGIL_EDGE_REVOCATION_LISTS: 'VIGIL_EDGE_REVOCATION_LISTS',
  VIGIL_WEB_PORT: 'VIGIL_WEB_PORT',
  VIGIL_WEB_AUTH: 'VIGIL_WEB_AUTH',
  VIGIL_OIDC_ISSUER: 'VIGIL_OIDC_ISSUER',
  VIGIL_OIDC_CLIENT_ID: 'VIGIL_OIDC_CLIENT_ID',
  VIGIL_OIDC_CLIENT_SECRET: 'VIGIL_OIDC_CLIENT_SECRET',
  VIGIL_OIDC_REDIRECT_URL: 'VIGIL_OIDC_REDIRECT_URL',
  VIGIL_WEB_PROXY_HEADER: 'VIGIL_WEB_PROXY_HEADER',
  VIGIL_WEB_PROXY_ADDRESS: 'VIGIL_WEB_PROXY_ADDRESS',
  VIGIL_WEB_SESSION_KEY: 'VIGIL_WEB_SESSION_KEY',
  VIGIL_METRICS_PORT: 'VIGIL_METRICS_PORT',
} as const;

type Env = Record<string, string | undefined>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function parsePort(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new VigilError('CONFIG_INVALID', `${name}=${value} is not a port number (0-65535)`);
  }
  return port;
}

function parsePostRate(value: string | undefined): number {
  if (value === undefined) return 1;
  const rate = Number(value);
  if (!Number.isFinite(rate) || rate <= 0 || rate > 100) {
    throw new VigilError('CONFIG_INVALID', `${ENV.VIGIL_SLACK_POST_RATE}=${value} must be a number of messages per second per channel above 0 and at most 100 (Slack allows about 1)`);
  }
  return rate;
}

function parseSlack(env: Env): SlackConfig {
  const apiUrl = checkUrl(ENV.SLACK_API_URL, nonEmpty(env[ENV.SLACK_API_URL]), ['https:', 'http:']) ?? 'https://slack.com/api/';
  return {
    botToken: nonEmpty(env[ENV.SLACK_BOT_TOKEN]),
    signingSecret: nonEmpty(env[ENV.SLACK_SIGNING_SECRET]),
    appToken: nonEmpty(env[ENV.SLACK_APP_TOKEN]),
    transport: oneOf(ENV.VIGIL_SLACK_TRANSPORT, nonEmpty(env[ENV.VIGIL_SLACK_TRANSPORT]), SLACK_TRANSPORTS) ?? 'http',
    apiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    port: parsePort(ENV.VIGIL_SLACK_PORT, nonEmpty(env[ENV.VIGIL_SLACK_PORT]), 3001),
    postsPerSecond: parsePostRate(nonEmpty(env[ENV.VIGIL_SLACK_POST_RATE])),
  };
}

function checkUrl(name: string, value: string | undefined, schemes: string[]): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Shown without what could be userinfo: a URL that does not parse may still hold a password.
    throw new VigilError('CONFIG_INVALID', `${name} is not a URL: ${JSON.stringify(value.replace(/\/\/[^/]*@/, '//***@'))}`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new VigilError('CONFIG_INVALID', `${name} must start with ${schemes.join(' or ')}//, not ${url.protocol}//`);
  }
  return value;
}

function parseSourceEnvPrefix(value: string | undefined): string {
  const prefix = value ?? DEFAULT_SOURCE_ENV_PREFIX;
  // An empty or one-letter prefix would let a catalog name nearly any variable of this process.
  if (!/^[A-Z][A-Z0-9_]{2,39}$/.test(prefix)) {
    throw new VigilError('CONFIG_INVALID', `${ENV.VIGIL_SOURCE_ENV_PREFIX}=${prefix} must be 3-40 upper-case letters, digits or '_', starting with a letter (e.g. ${DEFAULT_SOURCE_ENV_PREFIX})`);
  }
  return prefix;
}

function parseRdapBootstrap(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    // A path or an http(s) URL; anything else with a scheme (file:, ftp:) is a typo worth naming.
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(entry)) checkUrl(ENV.VIGIL_RDAP_BOOTSTRAP, entry, ['https:', 'http:']);
  }
  return entries.length > 0 ? entries : undefined;
}

/** One of a closed set of words, in any case; anything else names the variable and the choices. */
function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const word = allowed.find((a) => a === value.toLowerCase());
  if (word === undefined) throw new VigilError('CONFIG_INVALID', `${name}=${value} is not one of ${allowed.join(', ')}`);
  return word;
}

function parseTakedownChannels(env: Env, cwd: string, home: string): TakedownChannelsConfig {
  const lumenUrl = checkUrl(ENV.VIGIL_LUMEN_URL, nonEmpty(env[ENV.VIGIL_LUMEN_URL]), ['https:', 'http:']);
  const lumenToken = nonEmpty(env[ENV.VIGIL_LUMEN_TOKEN]);
  // Half a Lumen setting would silently submit nothing; say so where the process starts.
  if ((lumenUrl === undefined) !== (lumenToken === undefined)) {
    const missing = lumenUrl === undefined ? ENV.VIGIL_LUMEN_URL : ENV.VIGIL_LUMEN_TOKEN;
    throw new VigilError('CONFIG_INVALID', `${missing} is not set but ${missing === ENV.VIGIL_LUMEN_URL ? ENV.VIGIL_LUMEN_TOKEN : ENV.VIGIL_LUMEN_URL} is; Lumen submission needs both (or neither)`);
  }
  const delisting = nonEmpty(env[ENV.VIGIL_DELISTING_DIR]);
  return {
    smtpUrl: checkUrl(ENV.VIGIL_SMTP_URL, nonEmpty(env[ENV.VIGIL_SMTP_URL]), ['smtp:', 'smtps:']),
    lumenUrl,
    lumenToken,
    delistingDir: delisting === undefined ? path.join(home, 'delisting') : path.resolve(cwd, delisting),
  };
}

function parseRevocation(env: Env, cwd: string): RevocationConfig {
  const edgercPath = nonEmpty(env[ENV.VIGIL_AKAMAI_EDGERC]);
  const host = nonEmpty(env[ENV.AKAMAI_HOST]);
  const clientToken = nonEmpty(env[ENV.AKAMAI_CLIENT_TOKEN]);
  const clientSecret = nonEmpty(env[ENV.AKAMAI_CLIENT_SECRET]);
  const accessToken = nonEmpty(env[ENV.AKAMAI_ACCESS_TOKEN]);
  const listIdText = nonEmpty(env[ENV.VIGIL_AKAMAI_LIST_ID]);
  let listId: number | undefined;
  if (listIdText !== undefined) {
    listId = Number(listIdText);
    if (!/^\d{1,15}$/.test(listIdText) || listId < 1) {
      throw new VigilError('CONFIG_INVALID', `${ENV.VIGIL_AKAMAI_LIST_ID}=${listIdText} must be the numeric id of an Akamai revocation list (GET /taas/v2/revocation-lists shows them)`);
    }
  }
  const anyAkamai = edgercPath !== undefined || host !== undefined || clientToken !== undefined || clientSecret !== undefined || accessToken !== undefined;
  return {
    apiKey: nonEmpty(env[ENV.VIGIL_REVOCATION_API_KEY]),
    port: parsePort(ENV.VIGIL_REVOCATION_PORT, nonEmpty(env[ENV.VIGIL_REVOCATION_PORT]), 3004),
    akamai: anyAkamai ? {
      edgerc: edgercPath === undefined ? undefined : { path: path.resolve(cwd, edgercPath), section: nonEmpty(env[ENV.VIGIL_AKAMAI_EDGERC_SECTION]) ?? 'default' },
      host, clientToken, clientSecret, accessToken, listId,
    } : undefined,
  };
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const prefix = nonEmpty(env[ENV.VIGIL_QUEUE_PREFIX]) ?? 'vigil';
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) {
    throw new VigilError('CONFIG_INVALID', `${ENV.VIGIL_QUEUE_PREFIX}=${prefix} may hold only letters, digits, '-' and '_'`);
  }
  const home = path.resolve(cwd, nonEmpty(env[ENV.VIGIL_HOME]) ?? '.vigil');
  const githubApiUrl = checkUrl(ENV.GITHUB_API_URL, nonEmpty(env[ENV.GITHUB_API_URL]), ['https:', 'http:']) ?? 'https://api.github.com';
  return {
    databaseUrl: checkUrl(ENV.DATABASE_URL, nonEmpty(env[ENV.DATABASE_URL]), ['postgres:', 'postgresql:']),
    redisUrl: checkUrl(ENV.REDIS_URL, nonEmpty(env[ENV.REDIS_URL]), ['redis:', 'rediss:']),
    home,
    queuePrefix: `{${prefix}}`,
    logLevel: oneOf(ENV.VIGIL_LOG_LEVEL, nonEmpty(env[ENV.VIGIL_LOG_LEVEL]), LOG_LEVELS) ?? 'info',
    logFormat: oneOf(ENV.VIGIL_LOG_FORMAT, nonEmpty(env[ENV.VIGIL_LOG_FORMAT]), LOG_FORMATS),
    github: {
      appId: nonEmpty(env[ENV.GITHUB_APP_ID]),
      privateKey: nonEmpty(env[ENV.GITHUB_PRIVATE_KEY])?.replace(/\\n/g, '\n'),
      webhookSecret: nonEmpty(env[ENV.GITHUB_WEBHOOK_SECRET]),
      apiUrl: githubApiUrl,
      catalogPath: nonEmpty(env[ENV.VIGIL_CATALOG_PATH]) ?? 'catalog',
      catalogRepo: parseCatalogRepo(ENV.VIGIL_CATALOG_REPO, nonEmpty(env[ENV.VIGIL_CATALOG_REPO]), githubApiUrl),
      catalogBranch: checkBranchName(ENV.VIGIL_CATALOG_BRANCH, nonEmpty(env[ENV.VIGIL_CATALOG_BRANCH])),
    },
    port: parsePort(ENV.PORT, nonEmpty(env[ENV.PORT]), 3000),
    bind: nonEmpty(env[ENV.VIGIL_BIND]) ?? '127.0.0.1',
    mediaRoot: path.resolve(cwd, nonEmpty(env[ENV.VIGIL_MEDIA_ROOT]) ?? '.'),
    crawler: {
      allowPrivate: ['1', 'true', 'yes'].includes((nonEmpty(env[ENV.VIGIL_CRAWL_ALLOW_PRIVATE]) ?? '').toLowerCase()),
      resolve: (nonEmpty(env[ENV.VIGIL_CRAWL_RESOLVE]) ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    },
    sourceEnvPrefix: parseSourceEnvPrefix(nonEmpty(env[ENV.VIGIL_SOURCE_ENV_PREFIX])),
    slack: parseSlack(env),
    rdapBootstrap: parseRdapBootstrap(nonEmpty(env[ENV.VIGIL_RDAP_BOOTSTRAP])),
    takedown: parseTakedownChannels(env, cwd, home),
    revocation: parseRevocation(env, cwd),
    edge: parseEdge(env),
    metricsPort: parseMetricsPort(ENV.VIGIL_METRICS_PORT, nonEmpty(env[ENV.VIGIL_METRICS_PORT])),
    web: parseWeb(env),
  };
}

function parseWeb(env: Env): WebConfig {
  const header = nonEmpty(env[ENV.VIGIL_WEB_PROXY_HEADER]);
  // An HTTP header name is a token (RFC 9110 5.6.2); a typo here would trust nothing, silently.
  if (header !== undefined && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) {
    throw new VigilError('CONFIG_INVALID', `${ENV.VIGIL_WEB_PROXY_HEADER}=${header} is not an HTTP header name (e.g. X-Forwarded-User)`);
  }
  const sessionKey = nonEmpty(env[ENV.VIGIL_WEB_SESSION_KEY]);
  // A short key signs cookies anyone could forge by trying keys.
  if (sessionKey !== undefined && sessionKey.length < 32) {
    throw new VigilError('CONFIG_INVALID', `${ENV.VIGIL_WEB_SESSION_KEY} must be at least 32 characters (openssl rand -hex 32)`);
  }
  return {
    port: parsePort(ENV.VIGIL_WEB_PORT, nonEmpty(env[ENV.VIGIL_WEB_PORT]), 3005),
    auth: oneOf(ENV.VIGIL_WEB_AUTH, nonEmpty(env[ENV.VIGIL_WEB_AUTH]), WEB_AUTH_MODES),
    oidc: {
      issuer: checkUrl(ENV.VIGIL_OIDC_ISSUER, nonEmpty(env[ENV.VIGIL_OIDC_ISSUER]), ['https:', 'http:']),
      clientId: nonEmpty(env[ENV.VIGIL_OIDC_CLIENT_ID]),
      clientSecret: nonEmpty(env[ENV.VIGIL_OIDC_CLIENT_SECRET]),
      redirectUrl: checkUrl(ENV.VIGIL_OIDC_REDIRECT_URL, nonEmpty(env[ENV.VIGIL_OIDC_REDIRECT_URL]), ['https:', 'http:']),
    },
    proxy: { header: header?.toLowerCase(), address: nonEmpty(env[ENV.VIGIL_WEB_PROXY_ADDRESS]) },
    sessionKey,
  };
}

function parseEdge(env: Env): EdgeConfig {
  const lists = nonEmpty(env[ENV.VIGIL_EDGE_REVOCATION_LISTS]);
  const revocationLists = lists?.split(',').map((s) => s.trim());
  if (revocationLists?.some((id) => !/^\d{1,9}$/.test(id))) {
    throw new VigilError('CONFIG_INVALID', `${ENV.VIGIL_EDGE_REVOCATION_LISTS}=${lists} must be revocation list ids separated by commas, e.g. 1,2`);
  }
  return {
    tokenKey: nonEmpty(env[ENV.VIGIL_EDGE_TOKEN_KEY]),
    wmtKey: nonEmpty(env[ENV.VIGIL_WMT_KEY]),
    sessionApiKey: nonEmpty(env[ENV.VIGIL_SESSION_API_KEY]),
    publicUrl: checkUrl(ENV.VIGIL_EDGE_URL, nonEmpty(env[ENV.VIGIL_EDGE_URL]), ['https:', 'http:'])?.replace(/\/+$/, ''),
    revocationLists: revocationLists?.map(Number),
  };
}
