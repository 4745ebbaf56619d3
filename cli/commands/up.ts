import { parse } from '../args.js';
import type { Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { print, type CliIo } from '../io.js';
import { METRICS_PORT_USAGE, serveProcessMetrics } from '../metrics.js';
import { parseQueues, runWorkers } from '../workers.js';
import * as applyCommand from './apply.js';
import { ENV, missingSlackSettings, parseMetricsPort, slackRequested, type WebConfig } from '../../core/config.js';
import * as serveCommand from './serve.js';
import * as slackCommand from './slack.js';
import * as statusCommand from './status.js';
import * as webCommand from './web.js';
import { isVigilError, VigilError } from '../../core/errors.js';
import { createGate, isLoopback } from '../../web/auth/gate.js';

export const usage = `vigil up [DIR] [--once] [--resync 5m] [--metrics-port N] [--no-web]
  Vigil's main job on one machine: apply the catalog in DIR (default ./catalog), then run every
  worker until Ctrl-C, re-applying DIR every --resync period (a reservation starts on its date,
  drift is repaired). Without DATABASE_URL it uses an embedded PostgreSQL under VIGIL_HOME
  (default ./.vigil); without REDIS_URL it starts its own redis-server; other vigil commands run
  meanwhile with the same VIGIL_HOME use both, and the command that started them stops them. With the GitHub App
  configured (GITHUB_APP_ID, ...), it also serves its webhooks as vigil serve does; with Slack configured
  (SLACK_BOT_TOKEN, ...), it runs the Slack bot as vigil slack does, and says at start what is missing;
  it serves the web view as vigil web does and prints its address: with the sign-in VIGIL_WEB_AUTH chooses, or
  without one in development mode when VIGIL_BIND is loopback (off loopback it refuses to start, VIGIL-E0742);
  --no-web leaves it off (vigil web runs elsewhere). --once stops after the apply. While it runs, ${METRICS_PORT_USAGE}.`;

/** Re-applies the catalog on a timer until `signal` aborts; level-triggered, so repeats are harmless. */
async function resyncLoop(argv: string[], io: CliIo, ctx: Context, everyMs: number): Promise<void> {
  while (!io.signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, everyMs);
      io.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    if (io.signal.aborted) return;
    try {
      await applyCommand.run(argv, { ...io, stdout: io.stderr }, ctx);
    } catch (error) {
      ctx.log.error({ err: error }, 'periodic re-apply failed; retrying next period');
    }
  }
}

/** Whether the Slack bot will run, and if not, one line saying why (printed at start, so --once shows it too). */
function slackPlan(ctx: Context): { run: boolean; line: string } {
  const slack = ctx.config.slack;
  const missing = missingSlackSettings(slack);
  if (missing.length === 0) return { run: true, line: `Slack bot: on (${slack.transport} transport)` };
  return {
    run: false,
    line: slackRequested(slack)
      ? `Slack bot: not started, ${missing.join(', ')} missing (${slack.transport} transport); see "Slack" in README.md.`
      : `Slack bot: off (set ${ENV.SLACK_BOT_TOKEN} and ${ENV.SLACK_SIGNING_SECRET}, or ${ENV.SLACK_APP_TOKEN} with ${ENV.VIGIL_SLACK_TRANSPORT}=socket, to run it).`,
  };
}

type WebPlan = { run: false; line: string } | { run: true; line: string; web: WebConfig };

/**
 * Whether the web view will run, and with which sign-in. With none chosen it runs in development
 * mode on loopback (issue 15: started by vigil up on a loopback port it prints); off loopback,
 * serving without sign-in is refused before anything starts, since others could read the records.
 */
function webPlan(ctx: Context, noWeb: boolean): WebPlan {
  const { web, bind } = ctx.config;
  if (noWeb) return { run: false, line: 'Web view: off (--no-web).' };
  if ((web.auth === undefined || web.auth === 'dev') && !isLoopback(bind)) {
    throw new VigilError('WEB_UP_NOT_LOOPBACK', `${ENV.VIGIL_BIND}=${bind} is not loopback and ${web.auth === undefined ? `${ENV.VIGIL_WEB_AUTH} is not set` : `${ENV.VIGIL_WEB_AUTH}=dev`}: the web view would serve the records without sign-in`);
  }
  if (web.auth === undefined) {
    return { run: true, web: { ...web, auth: 'dev' }, line: `Web view: on in development mode (${ENV.VIGIL_WEB_AUTH} is not set: no sign-in, loopback only), on ${bind} port ${web.port}` };
  }
  try {
    // The same checks vigil web makes, made here so that a half-set sign-in leaves the workers running.
    createGate(web, { host: bind, port: web.port || 1 }, ctx.log);
  } catch (error) {
    if (!isVigilError(error)) throw error;
    return { run: false, line: `Web view: not started, ${error.code}: ${error.message}; ${error.fix}` };
  }
  return { run: true, web, line: `Web view: on (sign-in ${web.auth}), on ${bind} port ${web.port}` };
}

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { once: { type: 'boolean', default: false }, resync: { type: 'string', default: '5m' }, 'metrics-port': { type: 'string' }, 'no-web': { type: 'boolean', default: false } } as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('up', argv, options);
  const resyncMs = parseDuration('--resync', values.resync);
  parseMetricsPort('--metrics-port', values['metrics-port']); // a wrong port is told before the apply, not after
  const web = webPlan(ctx, values['no-web']); // and a web view that must not serve, before any service starts
  const db = await ctx.db();
  const redis = await ctx.redis();
  const slack = slackPlan(ctx);
  print(io.stdout, `Vigil up: database ${db.where}; redis ${redis.url}\n${slack.line}\n${web.line}\n`);
  const applied = await applyCommand.run(positionals, io, ctx);
  if (applied !== 0) return applied;
  print(io.stdout, '');
  await statusCommand.run([], io, ctx);
  if (values.once) return 0;
  await serveProcessMetrics(ctx, io.stdout, values['metrics-port']);
  print(io.stdout, `\nRunning workers, re-applying every ${values.resync}; Ctrl-C stops.`);
  const github = ctx.config.github.appId ? [serveCommand.run([], io, ctx)] : [];
  const bot = slack.run ? [slackCommand.run([], io, ctx)] : [];
  // A web view that cannot listen (the port is taken) is logged; the workers go on.
  const view = web.run ? [webCommand.serveWebView(ctx, io, { host: ctx.config.bind, port: ctx.config.web.port, web: web.web }).catch((error: unknown) => { ctx.log.error({ err: error, event: 'web-failed' }, 'the web view stopped'); return 1; })] : [];
  await Promise.all([runWorkers(ctx, parseQueues(undefined), io.signal), resyncLoop(positionals, io, ctx, resyncMs), ...github, ...bot, ...view]);
  return 0;
}
