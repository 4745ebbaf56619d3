import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_METRICS_PORT, ENV, loadConfig } from '../../core/config.js';
import { runCli } from '../support/cli.js';

/**
 * deploy/Dockerfile and deploy/compose.yaml, checked without Docker (none here to build with):
 * every vigil command and option they run is one `vigil help` names, every variable they set is one
 * core/config.ts reads, and every port they publish, expose or scrape is one the process listens on.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const DOCKERFILE = readFileSync(path.join(ROOT, 'deploy/Dockerfile'), 'utf8');
const COMPOSE = parse(readFileSync(path.join(ROOT, 'deploy/compose.yaml'), 'utf8'), { merge: true }) as Compose;
const PROMETHEUS = parse(readFileSync(path.join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as Prometheus;
interface Service { image?: string; command?: string[]; environment?: Record<string, string>; ports?: string[]; expose?: string[]; profiles?: string[] }
interface Compose { services: Record<string, Service> }
interface Prometheus { scrape_configs: { job_name: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }[] }

const vigilImage = COMPOSE.services.up!.image!;
const vigilServices = Object.entries(COMPOSE.services).filter(([, s]) => s.image === vigilImage);

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
const instructions = DOCKERFILE.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const dockerEnv: Record<string, string> = Object.fromEntries(instructions.filter((l) => l.startsWith('ENV ')).flatMap((l) => [...l.slice(4).matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])));

/** ${X:-default} as its default; ${X:?message} (a secret the operator must give) as a value of the right shape. */
function substituted(value: string): string {
  return value.replace(/\$\{(\w+):-([^}]*)\}/g, '$2').replace(/\$\{(\w+):\?[^}]*\}/g, (_, name: string) => (name === ENV.VIGIL_CATALOG_REPO ? 'owner/catalog' : 'set-by-operator'));
}

function flag(command: string[], name: string): string | undefined {
  const i = command.indexOf(name);
  return i < 0 ? undefined : command[i + 1];
}

/** The ports a service's process listens on, as Vigil reads its command and environment. */
function listening(service: Service): number[] {
  const command = service.command!;
  const env = { ...dockerEnv, ...Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, substituted(String(v))])) };
  const config = loadConfig(env, '/app');
  const metricsPort = Number(flag(command, '--metrics-port') ?? config.metricsPort ?? DEFAULT_METRICS_PORT);
  switch (command[0]) {
    case 'up': case 'worker': return [metricsPort];
    case 'serve': return [Number(flag(command, '--port') ?? config.port)];
    case 'slack': return config.slack.transport === 'http' ? [config.slack.port] : [metricsPort];
    case 'web': return [Number(flag(command, '--port')), metricsPort];
    case 'edge': return [Number(flag(command, '--port'))];
    default: throw new Error(`no listening ports known for vigil ${command[0]}`);
  }
}

const containerPort = (spec: string): number => Number(spec.split('/')[0]!.split(':').pop());

let commands: Set<string>;
const helpOf = new Map<string, string>();
beforeAll(async () => {
  const help = await runCli(['help'], {}, ROOT);
  expect(help.code).toBe(0);
  commands = new Set([...help.stdout.matchAll(/^ {2}vigil (\S+)/gm)].map((m) => m[1]!));
  for (const name of commands) helpOf.set(name, (await runCli(['help', name], {}, ROOT)).stdout);
}, 60_000);

describe('deploy/Dockerfile', () => {
  it('builds in one Node 20 Debian stage and runs in another, with ffmpeg, from the files it copies', () => {
    const stages = instructions.filter((l) => l.startsWith('FROM '));
    expect(stages).toHaveLength(2);
    expect(instructions.find((l) => l.startsWith('ARG NODE_IMAGE='))).toBe('ARG NODE_IMAGE=node:20-bookworm');
    expect(stages[0]).toMatch(/AS build$/);
    expect(stages[1]).toMatch(/-slim AS runtime$/);
    const runtime = instructions.slice(instructions.indexOf(stages[1]!));
    expect(runtime.find((l) => l.startsWith('RUN apt-get'))).toMatch(/install .*\bffmpeg\b.*\bgit\b/);
    // Every COPY from the build context names something in the repository.
    for (const copy of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const [source] = copy.split(/\s+/).slice(1);
      expect(existsSync(path.join(ROOT, source!)), copy).toBe(true);
    }
    // The build stage has every folder npm run build compiles, and the runtime the addon where native/addon.ts looks.
    const include = (JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include.map((p) => p.split('/')[0]!);
    const copied = instructions.slice(0, instructions.indexOf(stages[1]!)).filter((l) => l.startsWith('COPY ')).map((l) => l.split(/\s+/)[1]);
    for (const folder of new Set([...include, 'schemas'])) expect(copied, folder).toContain(folder);
    expect(runtime).toContain('COPY --from=build /app/native/build/Release/vigil_native.node native/build/Release/vigil_native.node');
    expect(readFileSync(path.join(ROOT, 'bin/vigil.js'), 'utf8')).toContain("'../dist/cli/run.js'");
  });

  it('runs vigil by its entry point with a command vigil help lists, and sets only variables core/config.ts reads', () => {
    expect(instructions).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/vigil.js"]');
    const cmd = JSON.parse(instructions.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    expect(commands.has(cmd[0]!) || cmd[0] === 'help').toBe(true);
    expect(Object.keys(dockerEnv).length).toBeGreaterThan(0);
    expect(Object.keys(dockerEnv).filter((k) => !(Object.values(ENV) as string[]).includes(k))).toEqual([]);
  });

  it('exposes only ports that one of its processes listens on', () => {
    const exposed = instructions.filter((l) => l.startsWith('EXPOSE ')).flatMap((l) => l.slice(7).split(/\s+/).map(Number));
    const all = new Set(vigilServices.flatMap(([, s]) => listening(s)));
    expect(exposed.filter((p) => !all.has(p))).toEqual([]);
  });
});

describe('deploy/compose.yaml', () => {
  it('runs up, worker, slack, serve, web and edge from the Vigil image, against PostgreSQL and Redis services', () => {
    expect(vigilServices.map(([, s]) => s.command![0]).sort()).toEqual(['edge', 'serve', 'slack', 'up', 'web', 'worker']);
    expect(COMPOSE.services.postgres?.image).toMatch(/^postgres:/);
    expect(COMPOSE.services.redis?.image).toMatch(/^redis:/);
    for (const [name, s] of vigilServices) {
      expect(s.environment?.DATABASE_URL, name).toMatch(/@postgres:5432\//);
      expect(s.environment?.REDIS_URL, name).toBe('redis://redis:6379');
    }
  });

  it('runs only commands and options that vigil help names', () => {
    for (const [name, s] of vigilServices) {
      const [command, ...args] = s.command!;
      expect(commands, `service ${name}`).toContain(command);
      // Whole options only: --queue is not --queues.
      for (const option of args.filter((a) => a.startsWith('--'))) expect(helpOf.get(command!), `service ${name}: vigil ${command} ${option}`).toMatch(new RegExp(`${option}(?![\\w-])`));
    }
  });

  it('sets only variables core/config.ts reads', () => {
    const known = Object.values(ENV) as string[];
    for (const [name, s] of vigilServices) expect(Object.keys(s.environment ?? {}).filter((k) => !known.includes(k)), `service ${name}`).toEqual([]);
  });

  it('publishes and exposes the ports the processes listen on, and Prometheus scrapes those', () => {
    const ports = new Map(vigilServices.map(([name, s]) => [name, listening(s)]));
    for (const [name, s] of vigilServices) {
      for (const spec of [...(s.ports ?? []), ...(s.expose ?? [])]) expect(ports.get(name), `service ${name}: ${spec}`).toContain(containerPort(spec));
    }
    const targets = PROMETHEUS.scrape_configs.flatMap((c) => [
      ...(c.static_configs ?? []).flatMap((sc) => sc.targets),
      ...(c.dns_sd_configs ?? []).flatMap((d) => d.names.map((n) => `${n}:${d.port}`)),
    ]);
    expect(targets.map((t) => t.split(':')[0]).sort()).toEqual([...ports.keys()].sort());
    for (const target of targets) {
      const [host, port] = target.split(':');
      expect(ports.get(host!), target).toContain(Number(port));
    }
  });
});
