import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../core/errors.js';
import { HOST } from '../../runners/media/leftovers.js';
import { ffmpeg, makeClip, makeLongClip } from '../runners/media/clips.js';
import { openTestServices, type TestServices } from '../support/services.js';
import { runCli, startCli, startCliProcess } from '../support/cli.js';

let dir: string;
let env: Record<string, string>;
let keyId: string;
let services: TestServices;
const ROOT = path.resolve(import.meta.dirname, '../..');
const COMMIT = 'c0ffee1';

interface LedgerRow {
  id: number; watermark_id: number; allocated: boolean; recipient_id: string | null; recipient_name: string | null; key_id: string;
  input_sha256: string; output_path: string; output_sha256: string; embed_job_id: string | null; catalog_commit: string | null; actor: string;
}

async function ledger(where = 'true', params: unknown[] = []): Promise<LedgerRow[]> {
  return (await services.db.pool.query<LedgerRow>(`select * from embed_ledger where ${where} order by id`, params)).rows;
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

beforeAll(async () => {
  services = await openTestServices();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-cli-wm-'));
  await fs.cp(path.join(ROOT, 'catalog'), path.join(dir, 'catalog'), { recursive: true });
  const jobFile = path.join(dir, 'catalog/embedding/screeners.yaml');
  await fs.writeFile(jobFile, (await fs.readFile(jobFile, 'utf8'))
    .replace('input: media/moonlit-harbor/s01e01.mp4', 'input: feature.mp4')
    .replace('output: out/{basename}', 'output: jobs/{basename}')
    .replace('recipients: [northwind-vod, bluebird-airlines, press-screener]', 'recipients: [northwind-vod, bluebird-airlines]')
    .replace('image: media/logo-screener.png', 'image: logo.png')
    .replace('interval: "00:05:00"', 'interval: "00:00:10"')
    .replace('disappear: "00:00:30"', 'disappear: "00:00:05"'));
  await makeLongClip(dir, 'feature');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=white:s=48x24', '-frames:v', '1', path.join(dir, 'logo.png')]);
  const key = await runCli(['keygen', '--out', 'wm.key'], {}, dir);
  expect(key.code).toBe(0);
  keyId = key.stdout.trim();
  env = { ...services.env, VIGIL_WATERMARK_KEY_FILE: path.join(dir, 'wm.key') };
  // The reconciler records the allocations (and the EmbedJob) that embed resolves through.
  const applied = await runCli(['apply', '--commit', COMMIT], env, dir);
  expect(applied.code).toBe(0);
}, 120_000);
afterAll(async () => {
  await services?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

function expectError(run: { code: number; stderr: string }, name: keyof typeof ERROR_CODES, code = name === 'USAGE' ? 2 : 1): void {
  expect(run.stderr).toContain(`error ${ERROR_CODES[name].code}:`);
  expect(run.code).toBe(code);
}

describe('vigil keygen', () => {
  it('writes a 0600 key file once, never overwrites it, and prints its key id; prints a key without --out', async () => {
    expect(keyId).toMatch(/^[0-9a-f]{16}$/);
    expect((await fs.stat(path.join(dir, 'wm.key'))).mode & 0o777).toBe(0o600);
    const before = await fs.readFile(path.join(dir, 'wm.key'), 'utf8');
    expect(keyId).not.toBe(before.trim().slice(0, 16)); // an id, not the key's first digits
    expectError(await runCli(['keygen', '--out', 'wm.key'], {}, dir), 'KEY_FILE_EXISTS');
    expect(await fs.readFile(path.join(dir, 'wm.key'), 'utf8')).toBe(before);
    const printed = await runCli(['keygen'], {}, dir);
    expect(printed.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(printed.stderr).toMatch(/^key id [0-9a-f]{16}$/m);
    expect(printed.stdout.trim()).not.toBe(before.trim());
  });
});

describe('vigil embed and vigil detect', () => {
  it('makes one copy per recipient from the database allocations, records each in the ledger, and detect names recipient, key and copy', async () => {
    await fs.mkdir(path.join(dir, 'out'));
    const run = await runCli(['embed', 'feature.mp4', '--recipient', 'northwind-vod', '--recipient', 'press.screeners', '--id', '77', '--unallocated-lab', '--out-dir', 'out', '--preset', 'ultrafast', '--format', 'json'], env, dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { outputs: { output: string; recipient: string; watermarkId: number; allocated: boolean }[]; frames: number; decodes: number };
    expect(summary.outputs.map((o) => path.relative(dir, o.output))).toEqual(['out/feature.Northwind-VOD.1001.mp4', 'out/feature.press.screeners.1003.mp4', 'out/feature.id77.77.mp4']);
    expect(summary.outputs.map((o) => o.allocated)).toEqual([true, true, false]);
    expect(summary.frames).toBe(155);
    expect(summary.decodes).toBe(1);
    expect((await fs.readdir(path.join(dir, 'out'))).sort()).toEqual(['feature.Northwind-VOD.1001.mp4', 'feature.id77.77.mp4', 'feature.press.screeners.1003.mp4']);

    const rows = await ledger();
    expect(rows.map((r) => [r.watermark_id, r.allocated, r.recipient_id, r.recipient_name])).toEqual([
      [1001, true, 'northwind-vod', 'Northwind-VOD'], [1003, true, 'press-screener', 'press.screeners'], [77, false, null, null]]);
    const inputSha = await sha256(path.join(dir, 'feature.mp4'));
    for (const [i, r] of rows.entries()) {
      expect(r).toMatchObject({ key_id: keyId, input_sha256: inputSha, output_path: summary.outputs[i]!.output, catalog_commit: COMMIT, embed_job_id: null, actor: 'cli:unknown' });
      expect(r.output_sha256).toBe(await sha256(r.output_path));
    }
    const audit = await services.db.pool.query(`select object_kind, object_id, commit from audit_log where action = 'embed' order by id`);
    expect(audit.rows).toEqual([
      { object_kind: 'Recipient', object_id: 'northwind-vod', commit: COMMIT }, { object_kind: 'Recipient', object_id: 'press-screener', commit: COMMIT },
      { object_kind: null, object_id: null, commit: COMMIT }]);

    const found = await runCli(['detect', 'out/feature.press.screeners.1003.mp4'], env, dir);
    expect(found.code).toBe(0);
    expect(found.stdout).toContain('Watermark ID 1003: press.screeners (recipient press-screener; from the database)');
    expect(found.stdout).toMatch(new RegExp(`false-alarm probability \\d\\.\\de-\\d+\\), key ${keyId}`));
    expect(found.stdout).toMatch(/mark present in \d+ of 155 frames/);
    expect(found.stdout).toContain(`copy: embed ledger #${rows[1]!.id}, ${rows[1]!.output_path}`);
    expect(found.stdout).not.toContain('offline');

    const json = await runCli(['detect', 'out/feature.Northwind-VOD.1001.mp4', '--format', 'json'], env, dir);
    expect(JSON.parse(json.stdout)).toMatchObject({ found: true, attributed: true, watermarkId: 1001, keyId, recipient: { name: 'Northwind-VOD', source: 'database' }, copy: { id: rows[0]!.id } });
  });

  it('refuses a raw ID that no recipient was allocated, unless --unallocated-lab, and makes no copy', async () => {
    await fs.mkdir(path.join(dir, 'refused'));
    const before = (await ledger()).length;
    const run = await runCli(['embed', 'feature.mp4', '--id', '4711', '--out-dir', 'refused'], env, dir);
    expectError(run, 'RECIPIENT_UNALLOCATED');
    expect(run.stderr).toContain('--id 4711: watermark ID 4711 is not allocated to any recipient in the database (DATABASE_URL)');
    expect(run.stderr).toContain('--unallocated-lab');
    expect(await fs.readdir(path.join(dir, 'refused'))).toEqual([]);
    expect(await ledger()).toHaveLength(before);
    // An allocated ID given raw is that recipient's.
    const allocated = await runCli(['embed', 'feature.mp4', '--id', '1002', '--out-dir', 'refused', '--preset', 'ultrafast'], env, dir);
    expect(allocated.code).toBe(0);
    expect(allocated.stdout).toContain('feature.bluebird_airlines.IFE.1002.mp4  bluebird_airlines.IFE (watermark ID 1002)');
  });

  it('runs an EmbedJob of the applied catalog, visible watermark included, and the ledger names the job and commit', async () => {
    const run = await runCli(['embed', '--job', 'moonlit-harbor-e01-partners', '--preset', 'ultrafast'], env, dir);
    expect(run.stderr).toMatch(/embedded 2 copies/);
    expect(run.code).toBe(0);
    expect((await fs.readdir(path.join(dir, 'jobs'))).sort()).toEqual(['feature.Northwind-VOD.1001.mp4', 'feature.bluebird_airlines.IFE.1002.mp4']);
    expect((await ledger(`embed_job_id = 'moonlit-harbor-e01-partners'`)).map((r) => [r.recipient_id, r.catalog_commit])).toEqual([
      ['northwind-vod', COMMIT], ['bluebird-airlines', COMMIT]]);
    const found = await runCli(['detect', 'jobs/feature.bluebird_airlines.IFE.1002.mp4'], env, dir);
    expect(found.stdout).toContain('Watermark ID 1002: bluebird_airlines.IFE');
    expect(found.stdout).toContain('EmbedJob moonlit-harbor-e01-partners, commit c0ffee1');
    expectError(await runCli(['embed', '--job', 'no-such-job'], env, dir), 'EMBED_JOB_UNKNOWN');
  });

  it('reads a screenshot with the original', async () => {
    await ffmpeg(['-ss', '20', '-i', path.join(dir, 'out/feature.Northwind-VOD.1001.mp4'), '-frames:v', '1', '-q:v', '4', path.join(dir, 'shot.jpg')]);
    const run = await runCli(['detect', 'shot.jpg', '--original', 'feature.mp4'], env, dir);
    expect(run.stdout).toContain('Watermark ID 1001: Northwind-VOD');
    expect(run.stdout).toMatch(/matched the frame at 20\.\d\d s/);
    expect(run.code).toBe(0);
  });

  it('keeps tracing copies after a key rotation: detect tries the keyring and names the old key', async () => {
    const ring = path.join(dir, 'keyring');
    await fs.mkdir(ring);
    await fs.copyFile(path.join(dir, 'wm.key'), path.join(ring, 'key-a.key'));
    const b = await runCli(['keygen', '--out', 'key-b.key'], {}, dir);
    const keyB = b.stdout.trim();
    expect(keyB).not.toBe(keyId);
    const rotated = { ...services.env, VIGIL_WATERMARK_KEY_FILE: path.join(dir, 'key-b.key'), VIGIL_WATERMARK_KEYRING_DIR: ring };
    // A copy made with key A before the rotation: still named, with key A.
    const old = await runCli(['detect', 'out/feature.press.screeners.1003.mp4', '--format', 'json'], rotated, dir);
    expect(old.code).toBe(0);
    expect(JSON.parse(old.stdout)).toMatchObject({ found: true, watermarkId: 1003, keyId, keysTried: 2, recipient: { name: 'press.screeners' } });
    // New copies carry key B, and the ledger says so.
    await fs.mkdir(path.join(dir, 'rotated'));
    const made = await runCli(['embed', 'feature.mp4', '--recipient', 'press-screener', '--out-dir', 'rotated', '--preset', 'ultrafast'], rotated, dir);
    expect(made.code).toBe(0);
    const row = (await ledger(`output_path like '%/rotated/%'`))[0]!;
    expect(row.key_id).toBe(keyB);
    const fresh = await runCli(['detect', 'rotated/feature.press.screeners.1003.mp4'], rotated, dir);
    expect(fresh.stdout).toContain(`key ${keyB}`);
    expect(fresh.stdout).toContain(`copy: embed ledger #${row.id}`);
    // Without key A in the keyring, the old copy reads as unmarked, and the ledger says which key is missing.
    const lost = await runCli(['detect', 'out/feature.press.screeners.1003.mp4'], { ...rotated, VIGIL_WATERMARK_KEYRING_DIR: path.join(dir, 'empty-ring') }, dir);
    expect(lost.code).toBe(3); // the empty ring folder does not exist: a configuration error
    await fs.mkdir(path.join(dir, 'empty-ring'));
    const missing = await runCli(['detect', 'out/feature.press.screeners.1003.mp4'], { ...rotated, VIGIL_WATERMARK_KEYRING_DIR: path.join(dir, 'empty-ring') }, dir);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(`the embed ledger names key ${keyId} for this file, not in the keyring`);
  });

  it('exits 0 attributed, 1 no mark, 2 usage, 3 error (never silently falling back to catalog files), 4 mark without recipient', async () => {
    expect((await runCli(['detect', 'out/feature.Northwind-VOD.1001.mp4'], env, dir)).code).toBe(0);
    const none = await runCli(['detect', 'feature.mp4'], env, dir);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('No watermark found in');
    expectError(await runCli(['detect'], env, dir), 'USAGE', 2);
    expectError(await runCli(['detect', 'feature.mp4', '--bogus'], env, dir), 'USAGE', 2);
    expectError(await runCli(['detect', 'feature.mp4'], { ...services.env }, dir), 'KEY_MISSING', 3);
    expectError(await runCli(['detect', 'shot.jpg'], env, dir), 'ORIGINAL_REQUIRED', 3);
    expectError(await runCli(['detect', 'missing.mp4'], env, dir), 'INPUT_MISSING', 3);
    const down = { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/vigil' };
    const unreachable = await runCli(['detect', 'out/feature.press.screeners.1003.mp4'], down, dir);
    expectError(unreachable, 'DATABASE_UNAVAILABLE', 3);
    expect(unreachable.stdout).not.toContain('press.screeners'); // no answer from catalog files
    const lab = await runCli(['detect', 'out/feature.id77.77.mp4'], env, dir);
    expect(lab.code).toBe(4);
    expect(lab.stdout).toContain('Watermark ID 77: an unallocated lab copy: no recipient answers for this ID');
    // Offline mode only when asked for, and it says so.
    const offline = await runCli(['detect', 'out/feature.press.screeners.1003.mp4', '--catalog', 'catalog'], down, dir);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain('Watermark ID 1003: press.screeners (recipient press-screener; from the catalog)');
    expect(offline.stdout).toContain(`offline: recipients looked up in the catalog files at ${path.join(dir, 'catalog')}, not in the database`);
    const help = await runCli(['help', 'detect'], {}, dir);
    expect(help.stdout).toMatch(/Exit codes: 0 mark found and attributed \(to a recipient; with --package, to a session\); 1 no mark found; 2 usage error;\s+3 any other error/);
  });

  it('stops on Ctrl-C with INTERRUPTED, leaves no partial output and records nothing', async () => {
    await fs.mkdir(path.join(dir, 'cut'));
    const controller = new AbortController();
    const started = startCli(['embed', 'feature.mp4', '--id', '5', '--id', '6', '--unallocated-lab', '--out-dir', 'cut', '--preset', 'ultrafast'], env, dir, controller.signal);
    // Abort once the encoders have written something.
    for (let i = 0; i < 2000; i++) {
      const files = await fs.readdir(path.join(dir, 'cut'));
      if (files.length > 0 && (await fs.stat(path.join(dir, 'cut', files[0]!)).catch(() => ({ size: 0 }))).size > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    controller.abort(new Error('SIGINT'));
    const run = await started.done;
    expectError(run, 'INTERRUPTED');
    expect(await fs.readdir(path.join(dir, 'cut'))).toEqual([]);
    expect(await ledger(`output_path like '%/cut/%'`)).toEqual([]);
  });

  it('after kill -9 mid-encode, the next run removes the partial outputs and pipe folder; the ledger holds only completed copies', async () => {
    const big = path.join(dir, 'big.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=480x270:r=25', '-f', 'lavfi', '-i', 'sine=f=330:r=48000:d=31', '-t', '31',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', big]);
    const out = path.join(dir, 'killed');
    const tmp = path.join(dir, 'tmp');
    await fs.mkdir(out);
    await fs.mkdir(tmp);
    const childEnv = { ...env, TMPDIR: tmp };
    const args = ['embed', 'big.mp4', '--id', '8', '--id', '9', '--unallocated-lab', '--out-dir', 'killed', '--preset', 'medium'];
    const child = startCliProcess(args, childEnv, dir, 180_000);
    let partial: string | undefined;
    for (let i = 0; i < 12_000 && !partial; i++) {
      for (const f of await fs.readdir(out)) {
        if (f.endsWith('.partial.mp4') && (await fs.stat(path.join(out, f)).catch(() => ({ size: 0 }))).size > 0) partial = f;
      }
      if (!partial) await new Promise((r) => setTimeout(r, 5));
    }
    expect(partial, child.stderr()).toBeDefined();
    child.child.kill('SIGKILL');
    expect((await child.done).code).toBe(137);
    const pid = child.child.pid!;
    expect(partial).toMatch(new RegExp(`^\\.big\\.id[89]\\.[89]\\.vigil-${HOST}-${pid}-[0-9a-f]{8}\\.partial\\.mp4$`));
    expect((await fs.readdir(tmp)).filter((f) => f.startsWith(`vigil-embed-${HOST}-${pid}-`))).toHaveLength(1);
    expect(await ledger(`output_path like '%/killed/%'`)).toEqual([]);

    const again = await startCliProcess(args, childEnv, dir, 180_000).done;
    expect(again.code, again.stderr).toBe(0);
    expect((await fs.readdir(out)).sort()).toEqual(['big.id8.8.mp4', 'big.id9.9.mp4']);
    expect((await fs.readdir(tmp)).filter((f) => f.startsWith('vigil-embed-'))).toEqual([]);
    const rows = await ledger(`output_path like '%/killed/%'`);
    expect(rows.map((r) => path.basename(r.output_path))).toEqual(['big.id8.8.mp4', 'big.id9.9.mp4']);
    for (const r of rows) expect(r.output_sha256).toBe(await sha256(r.output_path));
  }, 300_000);

  it('answers every refusal with its code', async () => {
    await makeClip(dir, 'h264', 2, 'short');
    await makeClip(dir, 'mpeg4', 31, 'divx');
    await fs.copyFile(await makeClip(dir, 'audio-only', 31, 'sound'), path.join(dir, 'sound.mp4'));
    await ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=120x40', '-frames:v', '1', path.join(dir, 'big.png')]);
    const embed = (...args: string[]): ReturnType<typeof runCli> => runCli(['embed', ...args, '--unallocated-lab'], env, dir);
    expectError(await embed('missing.mp4', '--id', '5'), 'INPUT_MISSING');
    expectError(await embed('sound.mp4', '--id', '5'), 'NO_VIDEO_TRACK');
    expectError(await embed('divx.mp4', '--id', '5'), 'UNSUPPORTED_CODEC');
    expectError(await embed('feature.mp4', '--id', '5', '--output', '{basename}.{recipient}.mov'), 'EXTENSION_MISMATCH');
    expectError(await embed('feature.mp4', '--id', '5', '--out-dir', 'no/such/dir'), 'OUTPUT_NOT_WRITABLE');
    expectError(await embed('feature.mp4', '--id', '5', '--image', 'logo.png', '--alpha', '1.5'), 'VISIBLE_SETTINGS_INVALID');
    expectError(await embed('feature.mp4', '--id', '5', '--image', 'logo.png', '--interval', '5m'), 'VISIBLE_SETTINGS_INVALID');
    expectError(await embed('feature.mp4', '--id', '5', '--alpha', '0.5'), 'VISIBLE_SETTINGS_INVALID');
    expectError(await embed('feature.mp4', '--id', '5', '--image', 'big.png'), 'VISIBLE_SETTINGS_INVALID');
    expectError(await embed('feature.mp4', '--id', '5', '--image', 'nologo.png'), 'WATERMARK_IMAGE_MISSING');
    expectError(await embed('short.mp4', '--id', '5'), 'INPUT_TOO_SHORT');
    expectError(await runCli(['embed', 'feature.mp4', '--id', '5'], services.env, dir), 'KEY_MISSING');
    expectError(await embed('feature.mp4', '--recipient', 'OldDistributor'), 'RECIPIENT_UNKNOWN');
    expectError(await embed('feature.mp4', '--recipient', 'nobody-at-all'), 'RECIPIENT_UNKNOWN');
    expectError(await embed('feature.mp4', '--id', '1000'), 'RECIPIENT_UNKNOWN');
    expectError(await embed('feature.mp4', '--id', '0'), 'USAGE');
    expectError(await embed('feature.mp4'), 'USAGE');
    expectError(await embed('feature.mp4', '--id', '5', '--preset', 'warp'), 'USAGE');
    expectError(await runCli(['embed', 'feature.mp4', '--id', '5', '--unallocated-lab'], { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/vigil' }, dir), 'DATABASE_UNAVAILABLE');
    expect((await fs.readdir(dir)).filter((f) => f.includes('.partial'))).toEqual([]);
    const help = await runCli(['help'], {}, dir);
    for (const c of ['embed', 'detect', 'keygen']) expect(help.stdout).toContain(`vigil ${c}`);
  });
});
