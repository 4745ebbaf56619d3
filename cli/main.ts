import { isVigilError, type VigilError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { optionArgs } from './args.js';
import { Context } from './context.js';
import { print, type CliIo } from './io.js';
import { packageVersion } from './version.js';
import * as applyCommand from './commands/apply.js';
import * as counterNoticeCommand from './commands/counter-notice.js';
import * as detectCommand from './commands/detect.js';
import * as edgeCommand from './commands/edge.js';
import * as embedCommand from './commands/embed.js';
import * as evidenceCommand from './commands/evidence.js';
import * as findingsCommand from './commands/findings.js';
import * as importCommand from './commands/import.js';
import * as infringersCommand from './commands/infringers.js';
import * as noticesCommand from './commands/notices.js';
import * as packageCommand from './commands/package.js';
import * as keygenCommand from './commands/keygen.js';
import * as keywordsCommand from './commands/keywords.js';
import * as planCommand from './commands/plan.js';
import * as serveCommand from './commands/serve.js';
import * as sessionCommand from './commands/session.js';
import * as slackCommand from './commands/slack.js';
import * as reconcileCommand from './commands/reconcile.js';
import * as reportCommand from './commands/report.js';
import * as revocationCommand from './commands/revocation.js';
import * as revocationsCommand from './commands/revocations.js';
import * as revokeCommand from './commands/revoke.js';
import * as scanCommand from './commands/scan.js';
import * as statusCommand from './commands/status.js';
import * as upCommand from './commands/up.js';
import * as validateCommand from './commands/validate.js';
import * as webCommand from './commands/web.js';
import * as workerCommand from './commands/worker.js';

interface Command {
  usage: string;
  /** The parseArgs options it accepts: a test checks that `usage` names every one. */
  options: Record<string, unknown>;
  run(argv: string[], io: CliIo, ctx: Context): Promise<number>;
  /** A command whose exit codes carry meaning (vigil detect) maps its errors itself; default USAGE 2, else 1. */
  exitCodeFor?(error: VigilError): number;
}

/** Every subcommand of `vigil`; `vigil help` lists them from here. */
export const COMMANDS: Record<string, Command> = {
  validate: validateCommand,
  plan: planCommand,
  apply: applyCommand,
  serve: serveCommand,
  slack: slackCommand,
  import: importCommand,
  reconcile: reconcileCommand,
  status: statusCommand,
  worker: workerCommand,
  up: upCommand,
  keywords: keywordsCommand,
  scan: scanCommand,
  findings: findingsCommand,
  'counter-notice': counterNoticeCommand,
  infringers: infringersCommand,
  report: reportCommand,
  notices: noticesCommand,
  embed: embedCommand,
  detect: detectCommand,
  package: packageCommand,
  evidence: evidenceCommand,
  keygen: keygenCommand,
  revoke: revokeCommand,
  revocations: revocationsCommand,
  revocation: revocationCommand,
  session: sessionCommand,
  edge: edgeCommand,
  web: webCommand,
};

function help(io: CliIo, name?: string): number {
  if (name && COMMANDS[name]) {
    print(io.stdout, COMMANDS[name].usage);
    return 0;
  }
  print(io.stdout, 'vigil: anti-piracy operations, run the GitOps way\n\nCommands:');
  for (const command of Object.values(COMMANDS)) print(io.stdout, `  ${command.usage.split('\n')[0]}`);
  print(io.stdout, '  vigil help [COMMAND]\n  vigil version (or --version)');
  print(io.stdout, '\nvigil help COMMAND shows a command in full, with every option. Error codes: docs/errors.md.');
  return name ? 1 : 0;
}

/** Runs one command line and returns its exit code; never throws for a user's mistake. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') return help(io, rest[0]);
  if (name === 'version' || name === '--version' || name === '-V') {
    print(io.stdout, `vigil ${packageVersion()}`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    print(io.stderr, `vigil: unknown command ${JSON.stringify(name)}`);
    return help(io, name) && 2;
  }
  // After `--` a '-h' is a value (a session id may be '-h…'), not a request for help.
  const flags = optionArgs(rest);
  if (flags.includes('--help') || flags.includes('-h')) return help(io, name);
  let ctx: Context | undefined;
  try {
    ctx = new Context(io);
    return await command.run(rest, io, ctx);
  } catch (error) {
    // Messages often name a URL or quote a server; secrets in them are masked before a person sees them.
    if (isVigilError(error)) {
      print(io.stderr, redact(error.describe()));
      return command.exitCodeFor?.(error) ?? (error.errorName === 'USAGE' ? 2 : 1);
    }
    print(io.stderr, redact(`vigil ${name}: unexpected error: ${(error as Error)?.message ?? String(error)}`));
    print(io.stderr, 'This is a bug in Vigil; please report it with the log above (VIGIL_LOG_LEVEL=debug shows more).');
    if (ctx?.config.logLevel === 'debug' || ctx?.config.logLevel === 'trace') print(io.stderr, redact((error as Error)?.stack ?? ''));
    return 70;
  } finally {
    await ctx?.close();
  }
}
