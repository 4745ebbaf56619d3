import { ENV, missingSlackSettings } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { QUEUES } from '../../core/queues.js';
import { evidenceBuilder } from '../../runners/evidence/builder.js';
import { packageVersion } from '../version.js';
import { startSlackBot } from '../../bot/slack/run.js';
import { parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { METRICS_PORT_USAGE, serveProcessMetrics, watchProcessMetrics } from '../metrics.js';
import { openRevoker } from '../revoker.js';

export const usage = `vigil slack [--host ADDR] [--no-worker] [--metrics-port N]
  Run the Slack bot: finding cards with Take down / Ignore / Detect buttons, traced-session cards with
  a Revoke button (vigil detect --package, when the Policy does not revoke automatically), threads per round, the
  /vigil slash command, and the worker that does what people ask. Needs ${ENV.SLACK_BOT_TOKEN}; the HTTP
  transport (the default) needs ${ENV.SLACK_SIGNING_SECRET} and listens on ${ENV.VIGIL_SLACK_PORT} (default 3001) at
  --host (default ${ENV.VIGIL_BIND} or 127.0.0.1); Socket Mode (${ENV.VIGIL_SLACK_TRANSPORT}=socket) needs ${ENV.SLACK_APP_TOKEN}
  instead and opens no port. ${ENV.SLACK_API_URL} points at another Web API (a proxy, a test). Runs until
  Ctrl-C or SIGTERM. vigil up runs it too when Slack is configured. --no-worker leaves what people ask
  for (the slack-queue jobs) to vigil worker --queues slack in another process, so this one only acks.
  Prometheus /metrics: on the HTTP transport's own port; over Socket Mode, ${METRICS_PORT_USAGE}.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { host: { type: 'string' }, 'no-worker': { type: 'boolean', default: false }, 'metrics-port': { type: 'string' } } as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('slack', argv, options, 0);
  const slack = ctx.config.slack;
  const missing = missingSlackSettings(slack);
  if (missing.length > 0) throw new VigilError('SLACK_NOT_CONFIGURED', `vigil slack: the Slack bot (${slack.transport} transport) is not configured: set ${missing.join(', ')}`);
  const db = await ctx.db();
  await watchProcessMetrics(ctx);
  // The Revoke button on traced-session cards revokes as vigil revoke does; what a mirror missed is pushed again here too.
  const revocations = await openRevoker(ctx);
  const relay = revocations.revoker.mirrors.length > 0 ? revocations.startRelay() : undefined;
  let bot: Awaited<ReturnType<typeof startSlackBot>>;
  try {
    bot = await startSlackBot({
      pool: db.pool, redis: await ctx.redis(), queue: await ctx.queue(QUEUES.slack), queuePrefix: ctx.config.queuePrefix,
      config: slack, github: ctx.config.github, log: ctx.log, host: values.host ?? ctx.config.bind, worker: !values['no-worker'],
      evidence: evidenceBuilder({ pool: db.pool, config: ctx.config, software: `Vigil ${packageVersion()}` }), revoker: revocations.revoker,
    });
  } catch (error) {
    await relay?.stop();
    revocations.close();
    throw error;
  }
  print(io.stdout, bot.url
    ? `vigil slack: Slack requests at ${bot.url} (Prometheus at ${new URL('/metrics', bot.url).href}; database ${db.where})`
    : `vigil slack: connected to Slack over Socket Mode (database ${db.where})`);
  // Socket Mode opens no port of its own: a small one for Prometheus (shared with vigil up's workers).
  if (!bot.url) await serveProcessMetrics(ctx, io.stdout, values['metrics-port']);
  await new Promise<void>((resolve) => (io.signal.aborted ? resolve() : io.signal.addEventListener('abort', () => resolve(), { once: true })));
  await bot.close();
  await relay?.stop();
  revocations.close();
  print(io.stdout, 'vigil slack: stopped');
  return 0;
}
