import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDelistingChannel, csvRow } from '../../../../runners/takedown/channels/delisting.js';
import { noticeKey } from '../../../../runners/takedown/channels/notice-key.js';
import type { ChannelContext } from '../../../../runners/takedown/channels/types.js';
import { composeNotice, noticeSender } from '../../../../runners/takedown/notice.js';
import { contents, finding, policy, signedOn } from '../notice-fixtures.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-delisting-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const now = () => new Date('2026-12-02T09:00:00.123Z');
const tide = finding('https://leaks.example.com/watch/tide-line-2x01');
const harbor = finding('https://leaks.example.com/dl/harbor-lights.mkv', { contentId: 'harbor-lights' });
const first = composeNotice({ to: 'abuse@leaks.example.com', policy: policy(), contents, findings: [tide, harbor], date: signedOn });
const other = finding('https://files.example.net/f/tide-2x02', { contentId: 'tide-line-s2' });
const second = composeNotice({ to: 'abuse@files.example.net', policy: policy(), contents, findings: [other], date: signedOn });
const ctx: ChannelContext = { sender: noticeSender(policy()), now, findings: [tide, harbor, other] };

describe('the search-delisting channel', () => {
  it('writes one CSV for the run: a header, then a row per URL with its work and the notice key; the receipt names the file and the lines', async () => {
    const channel = createDelistingChannel({ dir });
    const a = await channel.send(first, ctx);
    const b = await channel.send(second, ctx);
    const file = path.join(dir, 'delisting-20261202T090000Z.csv');
    expect(a).toMatchObject({ status: 'sent', channel: 'delisting', id: file, details: { file, lines: [2, 3] } });
    expect(b).toMatchObject({ status: 'sent', id: file, details: { lines: [4] } });
    expect(await readFile(file, 'utf8')).toBe([
      'url,copyrighted_work,work_id,notice_id',
      `https://leaks.example.com/dl/harbor-lights.mkv,Harbor Lights,harbor-lights,${noticeKey(first)}`,
      `https://leaks.example.com/watch/tide-line-2x01,Tide Line (season 2),tide-line-s2,${noticeKey(first)}`,
      `https://files.example.net/f/tide-2x02,Tide Line (season 2),tide-line-s2,${noticeKey(second)}`,
      '',
    ].join('\r\n'));
    expect(await readdir(dir)).toEqual(['delisting-20261202T090000Z.csv']);
  });

  it('keeps the rows already in the file when a run is resumed under its id', async () => {
    await createDelistingChannel({ dir, runId: 'resume' }).send(first, ctx);
    const receipt = await createDelistingChannel({ dir, runId: 'resume' }).send(second, ctx);
    expect(receipt).toMatchObject({ status: 'sent', details: { lines: [4] } });
    expect((await readFile(path.join(dir, 'delisting-resume.csv'), 'utf8')).split('\r\n').filter(Boolean)).toHaveLength(4);
  });

  it('quotes commas and quotes and keeps a cell from being read as a formula', () => {
    expect(csvRow(['a,b', 'say "hi"', '=HYPERLINK("x")', '-1'])).toBe('"a,b","say ""hi""","\'=HYPERLINK(""x"")",\'-1\r\n');
  });

  it('leaves no partial or temporary file when the write fails, and the failed rows do not reappear later', async () => {
    const file = path.join(dir, 'delisting-run1.csv');
    // A directory where the file should go: the rename into place fails.
    await mkdir(file);
    await writeFile(path.join(file, 'keep'), 'x');
    const channel = createDelistingChannel({ dir, runId: 'run1' });
    const failedReceipt = await channel.send(first, ctx);
    expect(failedReceipt).toMatchObject({ status: 'failed', channel: 'delisting' });
    expect((await readdir(dir)).sort()).toEqual(['delisting-run1.csv']);
    expect(await readdir(file)).toEqual(['keep']);

    await rm(file, { recursive: true });
    const receipt = await channel.send(second, ctx);
    expect(receipt).toMatchObject({ status: 'sent', details: { lines: [2] } });
    const text = await readFile(file, 'utf8');
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(2);
    expect(text).not.toContain('harbor-lights');
  });

  it('never shows a reader half a file while notices are added at once', async () => {
    const channel = createDelistingChannel({ dir, runId: 'busy' });
    const file = path.join(dir, 'delisting-busy.csv');
    const notices = Array.from({ length: 25 }, (_, i) => {
      const f = finding(`https://leaks.example.com/v/${i}`);
      return { notice: composeNotice({ to: 'abuse@leaks.example.com', policy: policy(), contents, findings: [f], date: signedOn }), f };
    });
    const partial: string[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const text = await readFile(file, 'utf8').catch(() => undefined);
        if (text !== undefined && (!text.endsWith('\r\n') || !text.startsWith('url,'))) partial.push(text);
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const receipts = await Promise.all(notices.map(({ notice, f }) => channel.send(notice, { ...ctx, findings: [f] })));
    reading = false;
    await reader;
    expect(partial).toEqual([]);
    const lines = receipts.flatMap((r) => (r.status === 'sent' ? (r.details.lines as number[]) : []));
    expect(lines.sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 2));
    expect((await readFile(file, 'utf8')).split('\r\n').filter(Boolean)).toHaveLength(26);
  });
});
