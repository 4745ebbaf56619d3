import path from 'node:path';
import { ENV } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { issueSession, sessionJson, DEFAULT_SESSION_TTL_MS } from '../../edge/session-api.js';
import { edgeKeysOf, packageNameOf } from '../../edge/session-tokens.js';
import { loadPackage } from '../../edge/server.js';
import type { WmtMode } from '../../edge/wmt.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { print, type CliIo } from '../io.js';

const DEFAULT_EDGE_URL = 'http://127.0.0.1:8080';

export const usage = `vigil session start --viewer V (--package DIR | --content ID) [--ttl 4h] [--mode direct|indirect] [--format text|json]
  Start a streaming session for a viewer (the player back end's account id): a new session id and
  the next watermark ID (unique, never reused), recorded and audited, and print the session's
  EdgeAuth token (__token__, ACL /PACKAGE/*, id = the session), its watermarking token (WMT, ETSI
  TS 104 002; direct mode carries the pattern, indirect mode the watermark ID) and, with --package,
  the playlist URL on the edge (${ENV.VIGIL_EDGE_URL}, default http://127.0.0.1:8080). --ttl is how long
  both tokens are valid (1m to 168h, default 4h). Needs ${ENV.VIGIL_EDGE_TOKEN_KEY} and ${ENV.VIGIL_WMT_KEY},
  the same as the edge's. A player back end can do the same with POST /v1/sessions on vigil edge.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  ...formatOption,
  viewer: { type: 'string' }, package: { type: 'string' }, content: { type: 'string' }, ttl: { type: 'string' }, mode: { type: 'string' },
} as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('session', argv, options, 1);
  if (positionals[0] !== 'start') throw new VigilError('USAGE', `vigil session: say what to do: vigil session start --viewer V --package DIR${positionals[0] === undefined ? '' : ` (not ${JSON.stringify(positionals[0])})`}`);
  const format = formatOf('session', values.format);
  if (values.viewer === undefined) throw new VigilError('USAGE', 'vigil session start: --viewer V is missing (the player back end\'s id for the account)');
  if ((values.package === undefined) === (values.content === undefined)) throw new VigilError('USAGE', 'vigil session start: give one of --package DIR and --content ID');
  if (values.mode !== undefined && values.mode !== 'direct' && values.mode !== 'indirect') throw new VigilError('USAGE', `vigil session start: --mode must be direct or indirect, not ${JSON.stringify(values.mode)}`);
  const ttlMs = values.ttl === undefined ? DEFAULT_SESSION_TTL_MS : parseDuration('--ttl', values.ttl);
  const keys = edgeKeysOf(ctx.config.edge);
  let target;
  if (values.package !== undefined) {
    const pkg = await loadPackage(path.resolve(io.cwd, values.package));
    target = { packageName: pkg.name, playlist: pkg.manifest.playlist, packageDir: pkg.dir, ...(pkg.manifest.contentId ? { contentId: pkg.manifest.contentId } : {}) };
  } else {
    target = { packageName: packageNameOf(values.content!), contentId: values.content! };
  }
  const db = await ctx.db();
  const issued = await issueSession(db.pool, keys, ctx.config.edge.publicUrl ?? DEFAULT_EDGE_URL, target,
    { viewer: values.viewer, ttlMs, ...(values.mode ? { mode: values.mode as WmtMode } : {}) },
    { actor: `cli:${io.env.USER ?? 'unknown'}`, reason: 'session started with vigil session start' });
  const json = sessionJson(issued);
  if (format === 'json') { print(io.stdout, JSON.stringify(json, null, 2)); return 0; }
  const s = issued.session;
  print(io.stdout, `Session ${s.id} for viewer ${s.viewer}: watermark ID ${s.watermarkId}, valid until ${s.expiresAt.toISOString()}`);
  print(io.stdout, `  __token__ ${issued.tokens.token}`);
  print(io.stdout, `  wmt       ${issued.tokens.wmt}`);
  print(io.stdout, `  ${target.playlist ? 'playlist' : 'base URL'}  ${issued.tokens.playlistUrl}${target.playlist ? '' : '  (append the playlist file name)'}`);
  return 0;
}
