import { parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { METRICS_PORT_USAGE, serveProcessMetrics } from '../metrics.js';
import { parseQueues, runWorkers } from '../workers.js';

export const usage = `vigil worker [--queues reconcile,...] [--metrics-port N]
  Run BullMQ workers for the named queues (default: every queue this build serves but slack, whose
  jobs run with the bot unless it is started with vigil slack --no-worker) until Ctrl-C; on Ctrl-C or
  SIGTERM, current jobs finish before the process exits. ${METRICS_PORT_USAGE}.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { queues: { type: 'string' }, 'metrics-port': { type: 'string' } } as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('worker', argv, options, 0);
  const queues = parseQueues(values.queues);
  await serveProcessMetrics(ctx, io.stderr, values['metrics-port']);
  print(io.stderr, `working on ${queues.join(', ')}; Ctrl-C stops`);
  await runWorkers(ctx, queues, io.signal);
  return 0;
}
