import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAbPackage } from '../support/ab-package.js';
import { startCli, startCliProcess, type SpawnedCli, type StartedCli } from '../support/cli.js';
import { APP_TOKEN, BOT_TOKEN, startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { openTestServices, type TestServices } from '../support/services.js';

/**
 * The Grafana dashboard against the real processes: every metric its queries name is exposed by
 * the /metrics of some Vigil process started here (worker, webhook server, Slack bot over HTTP
 * and over Socket Mode, edge), each found at the URL it prints at start.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const DASHBOARD = path.join(ROOT, 'deploy/grafana/vigil.json');

interface Panel { title?: string; targets?: { expr?: string }[]; panels?: Panel[] }

/** Every PromQL expression of the dashboard, panels in rows included. */
function dashboardExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const walk = (panels: Panel[]): string[] => panels.flatMap((p) => [...(p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])), ...walk(p.panels ?? [])]);
  return walk(dashboard.panels);
}

/** Metric families of a scrape, from its # TYPE lines (present even before a labelled metric has a sample). */
function families(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) found.set(m[1]!, m[2]!);
  return found;
}

/** Whether a series name a query uses belongs to one of the families (a histogram's _bucket, _sum, _count). */
function exposed(name: string, all: Map<string, string>): boolean {
  if (all.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && ['histogram', 'summary'].includes(all.get(base) ?? '');
}

async function printed(what: string, run: { stdout(): string; stderr(): string }, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 1200; i++) {
    const m = pattern.exec(run.stdout()) ?? pattern.exec(run.stderr());
    if (m) return m[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} printed no metrics URL; stdout: ${run.stdout()} stderr: ${run.stderr()}`);
}

let services: TestServices;
let slack: FakeSlack;
let packageDir: string;
const children: SpawnedCli[] = [];
let edge: StartedCli | undefined;
const stopEdge = new AbortController();
const scrapes = new Map<string, string>();

beforeAll(async () => {
  services = await openTestServices();
  slack = await startFakeSlack();
  packageDir = await mkdtemp(path.join(tmpdir(), 'vigil-dashboard-'));
  await makeAbPackage(packageDir, { seconds: 2 });
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const env = { ...services.env, SLACK_API_URL: slack.apiUrl };
  const started: [string, SpawnedCli, RegExp][] = [
    ['vigil worker', startCliProcess(['worker', '--metrics-port', '0'], env, ROOT, 120_000), /Prometheus \/metrics at (\S+)/],
    ['vigil serve', startCliProcess(['serve', '--port', '0'], {
      ...env, GITHUB_APP_ID: '12', GITHUB_PRIVATE_KEY: pem.replace(/\n/g, '\\n'), GITHUB_WEBHOOK_SECRET: 's3cret', GITHUB_API_URL: 'http://127.0.0.1:9', VIGIL_CATALOG_REPO: 'o/cat',
    }, ROOT, 120_000), /Prometheus at (http:\/\/[^\s;)]+)/],
    ['vigil slack (http)', startCliProcess(['slack'], { ...env, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: 'signing-secret-1234', VIGIL_SLACK_PORT: '0' }, ROOT, 120_000), /Prometheus at (http:\/\/[^\s;)]+)/],
    ['vigil slack (socket)', startCliProcess(['slack', '--metrics-port', '0'], { ...env, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, VIGIL_SLACK_TRANSPORT: 'socket' }, ROOT, 120_000), /Prometheus \/metrics at (\S+)/],
  ];
  children.push(...started.map(([, child]) => child));
  edge = startCli(['edge', '--package', packageDir, '--port', '0'], {
    ...services.env, VIGIL_EDGE_TOKEN_KEY: randomBytes(32).toString('hex'), VIGIL_WMT_KEY: randomBytes(32).toString('hex'),
  }, packageDir, stopEdge.signal);
  const urls: [string, string][] = await Promise.all(started.map(async ([what, child, pattern]) => [what, await printed(what, child, pattern)] as [string, string]));
  urls.push(['vigil edge', await printed('vigil edge', edge, /metrics: (\S+\/metrics)/)]);
  for (const [what, url] of urls) {
    const res = await fetch(url);
    expect(res.status, `${what} ${url}`).toBe(200);
    scrapes.set(what, await res.text());
  }
}, 180_000);

afterAll(async () => {
  for (const child of children) child.child.kill('SIGTERM');
  const runs = await Promise.all(children.map((c) => c.done));
  stopEdge.abort();
  await edge?.done;
  await slack?.close();
  await services?.close();
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
  // Each stops cleanly on SIGTERM: a crash would hide behind a passing scrape otherwise.
  for (const run of runs) expect(run.code, run.stderr).toBe(0);
}, 60_000);

describe('the Grafana dashboard (deploy/grafana/vigil.json)', () => {
  it('queries only metrics that some running Vigil process exposes at /metrics', () => {
    const all = new Map<string, string>();
    for (const text of scrapes.values()) for (const [name, type] of families(text)) all.set(name, type);
    const used = [...new Set(dashboardExprs().flatMap((e) => [...e.matchAll(/\b(vigil_[a-z0-9_]+)/g)].map((m) => m[1]!)))];
    expect(used.length).toBeGreaterThan(15);
    expect(used.filter((name) => !exposed(name, all))).toEqual([]);
  });

  it('has every process serve its own metrics and the worker read each queue from Redis at scrape time', () => {
    for (const [what, text] of scrapes) expect(text, what).toMatch(what === 'vigil edge' ? /^vigil_edge_requests_total|# TYPE vigil_edge_requests_total counter/m : /^vigil_process_process_resident_memory_bytes \d+/m);
    const worker = scrapes.get('vigil worker')!;
    for (const queue of ['reconcile', 'monitor', 'takedown', 'detect', 'slack']) {
      expect(worker).toMatch(new RegExp(`^vigil_queue_jobs\\{queue="${queue}",state="waiting"\\} 0$`, 'm'));
      expect(worker).toMatch(new RegExp(`^vigil_queue_oldest_waiting_seconds\\{queue="${queue}"\\} 0$`, 'm'));
    }
    // An empty database: the counts come from PostgreSQL, and none is made up.
    expect(worker).toMatch(/# TYPE vigil_notices gauge\n(?!vigil_notices\{)/);
  });
});
