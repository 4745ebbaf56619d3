import { parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { parseQueues, runWorkers } from '../workers.js';
import * as applyCommand from './apply.js';
import * as statusCommand from './status.js';

export const usage = `vigil up [DIR] [--once]
  Vigil's main job on one machine: apply the catalog in DIR (default ./catalog), then run every
  worker until Ctrl-C. Without DATABASE_URL it uses an embedded PostgreSQL under VIGIL_HOME
  (default ./.vigil); without REDIS_URL it starts its own redis-server. --once stops after the apply.`;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('up', argv, { once: { type: 'boolean', default: false } });
  const db = await ctx.db();
  const redis = await ctx.redis();
  print(io.stdout, `Vigil up: database ${db.where}; redis ${redis.url}\n`);
  const applied = await applyCommand.run(positionals, io, ctx);
  if (applied !== 0) return applied;
  print(io.stdout, '');
  await statusCommand.run([], io, ctx);
  if (values.once) return 0;
  print(io.stdout, '\nRunning workers; Ctrl-C stops.');
  await runWorkers(ctx, parseQueues(undefined), io.signal);
  return 0;
}
