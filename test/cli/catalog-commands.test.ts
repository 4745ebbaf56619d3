import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../catalog');

describe('vigil validate', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-cli-'));
    await fs.mkdir(path.join(dir, 'catalog'));
    await fs.writeFile(path.join(dir, 'catalog', 'bad.yaml'),
      'apiVersion: vigil/v1\nkind: Recipient\nmetadata:\n  id: r\nspec:\n  name: has space\n  watermarkId: 1\n');
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('prints FILE:LINE:COL: kind/id: message and exits 1 on errors', async () => {
    const run = await runCli(['validate'], {}, dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^catalog\/bad\.yaml:6:9: Recipient\/r: spec\.name has an invalid value "has space": use 1-64 letters/m);
    expect(run.stdout).toMatch(/1 error\(s\), 0 warning\(s\)/);
  });

  it('exits 0 on the example catalog', async () => {
    const run = await runCli(['validate', EXAMPLE], {}, dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/18 document\(s\): 0 error\(s\)/);
  });

  it('speaks JSON for machines', async () => {
    const run = await runCli(['validate', 'catalog', '--format', 'json'], {}, dir);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ valid: false, errors: 1, diagnostics: [{ file: 'catalog/bad.yaml', line: 6, col: 9, kind: 'Recipient', id: 'r' }] });
  });

  it('explains a missing directory and a bad option without a stack trace', async () => {
    const missing = await runCli(['validate', 'nowhere'], {}, dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error VIGIL-E0101: catalog directory .*nowhere does not exist.*\n  fix: /);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const option = await runCli(['validate', '--colour'], {}, dir);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/VIGIL-E0104: vigil validate: Unknown option '--colour'/);
    const unknown = await runCli(['frobnicate'], {}, dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('documents every command in vigil help', async () => {
    const run = await runCli(['help'], {}, dir);
    for (const command of ['validate', 'plan', 'apply', 'reconcile', 'status', 'worker', 'up']) expect(run.stdout).toContain(`vigil ${command}`);
    expect((await runCli(['help', 'apply'], {}, dir)).stdout).toMatch(/Idempotent/);
  });
});

describe('vigil plan and apply', () => {
  let services: TestServices;
  let dir: string;
  beforeAll(async () => {
    services = await openTestServices();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-cli-'));
    await fs.cp(EXAMPLE, path.join(dir, 'catalog'), { recursive: true });
  });
  afterAll(async () => {
    await services.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('plans, applies, then reports no changes; a changed watermark ID is refused at its line', async () => {
    const plan = await runCli(['plan'], services.env, dir);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/\+ MonitoringJob\/moonlit-harbor-s02-watch\s+\(new\) → Scheduled: reserved until 2027-04-02/);
    expect(plan.stdout).toMatch(/Plan: 26 to add, 0 to change, 0 to stop or retire, 0 to repair\./);

    const applied = await runCli(['apply', '--commit', 'abc123'], services.env, dir);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/Applied abc123/);
    const again = await runCli(['apply', '--format', 'json'], services.env, dir);
    expect(JSON.parse(again.stdout)).toMatchObject({ result: 'no-op', summary: { add: 0, change: 0, remove: 0, repair: 0 } });

    const file = path.join(dir, 'catalog/recipients/partners.yaml');
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('watermarkId: 1002', 'watermarkId: 2002'));
    const refused = await runCli(['plan'], services.env, dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^catalog\/recipients\/partners\.yaml:19:16: Recipient\/bluebird-airlines: watermarkId of Recipient\/bluebird-airlines is 1002 forever/m);
  });
});
