import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.js';
import { runEmbedPipeline } from '../../../runners/media/pipeline.js';
import { checkEmbeddable, checkExtensions, probeMedia } from '../../../runners/media/probe.js';
import { detectInVideo } from '../../../runners/watermark/detect.js';
import { embedForRecipients } from '../../../runners/watermark/embed.js';
import { watermarkKey } from '../../../runners/watermark/keys.js';
import { ffmpeg, ffprobeJson, makeClip, type ClipKind } from './clips.js';

const execFileP = promisify(execFile);

const KEY = Buffer.from('3f1e2d9a0c4d8e7f31a5b9c2d6e0f4a87b3c1d5e9f2a6b0c4d8e1f5a9b3c7d21', 'hex');
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-media-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, name: Parameters<typeof isVigilError>[1]): Promise<Error> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(isVigilError(error) ? error.errorName : error).toBe(name);
  return error as Error;
}

async function leftovers(folder: string): Promise<string[]> {
  return (await fs.readdir(folder)).filter((f) => f.includes('.partial'));
}

function videoStream(probe: Awaited<ReturnType<typeof ffprobeJson>>): Record<string, unknown> {
  return probe.streams.find((s) => s.codec_type === 'video')!;
}

describe('embed pipeline, one container at a time', () => {
  const cases: { kind: ClipKind; codec: string; container: RegExp; audio?: string }[] = [
    { kind: 'h264', codec: 'h264', container: /mp4/, audio: 'aac' },
    { kind: 'h265', codec: 'hevc', container: /mp4/, audio: 'aac' },
    { kind: 'vp9', codec: 'vp9', container: /mp4/, audio: 'opus' },
    { kind: 'prores', codec: 'prores', container: /mov/, audio: 'pcm_s16le' },
    { kind: 'xdcam', codec: 'mpeg2video', container: /mxf/, audio: 'pcm_s24le' },
  ];

  for (const c of cases) {
    it(`keeps ${c.kind} in its container with its profile, pixel format, rate and audio, and carries the ID`, async () => {
      const input = await makeClip(dir, c.kind);
      const before = await ffprobeJson(input);
      const sub = await fs.mkdtemp(path.join(dir, `${c.kind}-`));
      const summary = await embedForRecipients({
        input, key: KEY, outDir: sub, minDuration: 0, preset: 'ultrafast',
        recipients: [{ name: 'alpha', watermarkId: 4242 }, { name: 'beta', watermarkId: 31337 }],
      });
      expect(summary.outputs.map((o) => path.basename(o.output))).toEqual([`${c.kind}.alpha.4242.${path.extname(input).slice(1)}`, `${c.kind}.beta.31337.${path.extname(input).slice(1)}`]);
      expect(summary.batches).toBe(1);
      const out = summary.outputs[0]!.output;
      const after = await ffprobeJson(out);
      const [v0, v1] = [videoStream(before), videoStream(after)];
      expect(v1.codec_name).toBe(c.codec);
      expect(String(after.format?.format_name)).toMatch(c.container);
      for (const field of ['profile', 'pix_fmt', 'width', 'height', 'r_frame_rate']) expect(v1[field]).toEqual(v0[field]);
      expect(after.streams.find((s) => s.codec_type === 'audio')?.codec_name).toBe(c.audio);
      expect(Number(after.format?.duration)).toBeCloseTo(Number(before.format?.duration), 0);
      expect(await leftovers(sub)).toEqual([]);
      const found = await detectInVideo({ leak: out, keys: [watermarkKey(KEY, 'test')] });
      expect(found.found).toBe(true);
      expect(found.watermarkId).toBe(4242);
      const second = await detectInVideo({ leak: summary.outputs[1]!.output, keys: [watermarkKey(KEY, 'test')] });
      expect(second.watermarkId).toBe(31337);
    });
  }

  it('copies subtitle tracks with their language: MP4 timed text and MKV SubRip', async () => {
    const srt = path.join(dir, 'lines.srt');
    await fs.writeFile(srt, '1\n00:00:00,400 --> 00:00:01,200\nWho leaked this?\n\n2\n00:00:01,300 --> 00:00:01,900\nNot me.\n');
    const source = await makeClip(dir, 'h264', 2, 'subs-src');
    for (const [ext, codec] of [['mp4', 'mov_text'], ['mkv', 'srt']] as const) {
      const input = path.join(dir, `subs.${ext}`);
      await ffmpeg(['-i', source, '-i', srt, '-map', '0', '-map', '1', '-c:v', 'copy', '-c:a', 'copy', '-c:s', codec, '-metadata:s:s:0', 'language=fra', input]);
      const sub = await fs.mkdtemp(path.join(dir, `subs-${ext}-`));
      const output = path.join(sub, `out.${ext}`);
      const info = await probeMedia(input);
      await runEmbedPipeline({ info, video: checkEmbeddable(info, { minDuration: 0 }), ext: `.${ext}`, key: KEY, preset: 'ultrafast', targets: [{ output, payload: 77 }] });
      const [before, after] = [await ffprobeJson(input), await ffprobeJson(output)];
      const subtitle = (p: typeof before): Record<string, unknown> | undefined => p.streams.find((s) => s.codec_type === 'subtitle');
      expect(subtitle(after), ext).toMatchObject({ codec_name: subtitle(before)!.codec_name, tags: expect.objectContaining({ language: 'fra' }) });
      const { stdout } = await execFileP('ffmpeg', ['-v', 'error', '-i', output, '-map', '0:s:0', '-f', 'srt', '-']);
      expect(stdout).toContain('Who leaked this?');
      expect(stdout).toContain('Not me.');
    }
  });

  it('keeps 10-bit HDR10 10-bit, with its colour description, mastering display and content light level', async () => {
    const input = await makeClip(dir, 'hdr10');
    const sub = await fs.mkdtemp(path.join(dir, 'hdr-'));
    const { outputs } = await embedForRecipients({ input, key: KEY, outDir: sub, minDuration: 0, preset: 'ultrafast', recipients: [{ name: 'hdr', watermarkId: 777 }] });
    const out = outputs[0]!.output;
    const v = videoStream(await ffprobeJson(out));
    expect(v).toMatchObject({ codec_name: 'hevc', profile: 'Main 10', pix_fmt: 'yuv420p10le', color_primaries: 'bt2020', color_transfer: 'smpte2084', color_space: 'bt2020nc', color_range: 'tv' });
    const frames = await ffprobeJson(out, ['-select_streams', 'v:0', '-read_intervals', '%+#1', '-show_frames', '-show_entries', 'frame=side_data_list']);
    const side = frames.frames?.[0]?.side_data_list ?? [];
    expect(side.find((s) => /Mastering display/.test(String(s.side_data_type)))).toMatchObject({ red_x: '34000/50000', green_y: '34500/50000', max_luminance: '10000000/10000', min_luminance: '50/10000' });
    expect(side.find((s) => /Content light level/.test(String(s.side_data_type)))).toMatchObject({ max_content: 1000, max_average: 400 });
    const info = await probeMedia(out);
    expect(info.video?.bitDepth).toBe(10);
    const found = await detectInVideo({ leak: out, keys: [watermarkKey(KEY, 'test')] });
    expect(found.watermarkId).toBe(777);
  });

  it('draws the visible image only while enabled, on top of the forensic mark', async () => {
    const input = await makeClip(dir, 'h264', 4, 'visible');
    const logo = path.join(dir, 'logo.png');
    // 40x24 white: 1.7 % of 320x180.
    const { ffmpeg } = await import('./clips.js');
    await ffmpeg(['-f', 'lavfi', '-i', 'color=c=white:s=40x24', '-frames:v', '1', logo]);
    const sub = await fs.mkdtemp(path.join(dir, 'vis-'));
    const { outputs } = await embedForRecipients({
      input, key: KEY, outDir: sub, minDuration: 0, preset: 'ultrafast', recipients: [{ name: 'v', watermarkId: 9 }],
      visible: { image: logo, alpha: 1, positions: ['top-left', 'bottom-right'], interval: '00:00:02', disappear: '00:00:01' },
    });
    const out = outputs[0]!.output;
    // Mean luma of the top-left and bottom-right 40x24 corners (after the 5-px margin) at 0.5 s (shown top-left),
    // 1.5 s (hidden) and 2.5 s (shown bottom-right).
    const { execFile } = await import('node:child_process');
    const corner = (t: number, x: string, y: string): Promise<number> => new Promise((resolve, reject) => {
      execFile('ffmpeg', ['-v', 'error', '-ss', String(t), '-i', out, '-frames:v', '1', '-vf', `crop=40:24:${x}:${y},format=gray,scale=1:1:flags=area`, '-f', 'rawvideo', '-'], { encoding: 'buffer' }, (e, stdout) => (e ? reject(e) : resolve(stdout[0]!)));
    });
    const tl = (t: number): Promise<number> => corner(t, '4', '4');
    const br = (t: number): Promise<number> => corner(t, String(320 - 40 - 4), String(180 - 24 - 4));
    expect(await tl(0.5)).toBeGreaterThan(220);
    expect(await br(0.5)).toBeLessThan(200);
    expect(await tl(1.5)).toBeLessThan(200);
    expect(await br(1.5)).toBeLessThan(200);
    expect(await tl(2.5)).toBeLessThan(200);
    expect(await br(2.5)).toBeGreaterThan(220);
    expect((await detectInVideo({ leak: out, keys: [watermarkKey(KEY, 'test')] })).watermarkId).toBe(9);
  });
});

describe('refusals and clean-up', () => {
  it('names each problem with its code before any work is done', async () => {
    const h264 = await makeClip(dir, 'h264', 2, 'refuse');
    const recipients = [{ name: 'x', watermarkId: 1 }];
    const base = { key: KEY, outDir: dir, minDuration: 0, recipients };
    await expectCode(embedForRecipients({ ...base, input: path.join(dir, 'nope.mp4') }), 'INPUT_MISSING');
    await expectCode(embedForRecipients({ ...base, input: await makeClip(dir, 'audio-only') }), 'EXTENSION_MISMATCH');
    const audioMp4 = path.join(dir, 'audio-only.mp4');
    await fs.copyFile(path.join(dir, 'audio-only.m4a'), audioMp4);
    await expectCode(embedForRecipients({ ...base, input: audioMp4 }), 'NO_VIDEO_TRACK');
    await expectCode(embedForRecipients({ ...base, input: await makeClip(dir, 'mpeg4') }), 'UNSUPPORTED_CODEC');
    await expectCode(embedForRecipients({ ...base, input: h264, minDuration: 30 }), 'INPUT_TOO_SHORT');
    await expectCode(embedForRecipients({ ...base, input: h264, outputPattern: '{basename}.{recipient}.mov' }), 'EXTENSION_MISMATCH');
    await expectCode(embedForRecipients({ ...base, input: h264, outputPattern: '{basename}.{recipient}' }), 'EXTENSION_MISMATCH');
    await expectCode(embedForRecipients({ ...base, input: h264, outDir: path.join(dir, 'missing-dir') }), 'OUTPUT_NOT_WRITABLE');
    await expectCode(embedForRecipients({ ...base, input: h264, outDir: h264 }), 'OUTPUT_NOT_WRITABLE');
    await expectCode(embedForRecipients({ ...base, input: h264, visible: { image: path.join(dir, 'no-logo.png') } }), 'WATERMARK_IMAGE_MISSING');
    const big = path.join(dir, 'big.png');
    const { ffmpeg } = await import('./clips.js');
    await ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=80x40', '-frames:v', '1', big]);
    await expectCode(embedForRecipients({ ...base, input: h264, visible: { image: big } }), 'VISIBLE_SETTINGS_INVALID');
    const info = await probeMedia(h264);
    expect(() => checkEmbeddable(info, { minDuration: 0 })).not.toThrow();
    expect(() => checkExtensions('a.MP4', 'b.mp4')).not.toThrow();
    expect(await leftovers(dir)).toEqual([]);
  });

  it('stops on abort, kills ffmpeg and leaves no output and no temp file', async () => {
    const input = await makeClip(dir, 'prores', 6, 'abort');
    const sub = await fs.mkdtemp(path.join(dir, 'abort-'));
    const info = await probeMedia(input);
    const video = checkEmbeddable(info, { minDuration: 0 });
    const controller = new AbortController();
    let frames = 0;
    const run = runEmbedPipeline({
      info, video, ext: '.mov', key: KEY, targets: [{ output: path.join(sub, 'a.mov'), payload: 5 }, { output: path.join(sub, 'b.mov'), payload: 6 }],
      signal: controller.signal,
      onProgress: (p) => {
        frames = p.frames;
        if (p.frames >= 3) controller.abort(new Error('SIGINT'));
      },
    });
    await expectCode(run, 'INTERRUPTED');
    expect(frames).toBeGreaterThanOrEqual(3);
    expect(frames).toBeLessThan(60);
    expect(await fs.readdir(sub)).toEqual([]);
  });

  it('reports a decoder that fails at once as MEDIA_FAILED, without waiting on its pipe', async () => {
    const input = await makeClip(dir, 'h264', 2, 'decbad');
    const sub = await fs.mkdtemp(path.join(dir, 'decdie-'));
    const info = await probeMedia(input);
    const video = checkEmbeddable(info, { minDuration: 0 });
    // The file is replaced after probing: the decoder exits before it ever opens the relay's pipe.
    const broken = path.join(sub, 'broken.mp4');
    await fs.writeFile(broken, 'not a video');
    const run = runEmbedPipeline({ info: { ...info, path: broken }, video, ext: '.mp4', key: KEY, targets: [{ output: path.join(sub, 'x.mp4'), payload: 5 }] });
    const error = await expectCode(run, 'MEDIA_FAILED');
    expect(error.message).toMatch(/^decoder: .*broken\.mp4/s);
    expect((await fs.readdir(sub)).sort()).toEqual(['broken.mp4']);
  });

  it('reports an encoder that dies as MEDIA_FAILED and removes its temp file', async () => {
    const input = await makeClip(dir, 'h264', 2, 'diebad');
    const sub = await fs.mkdtemp(path.join(dir, 'die-'));
    const info = await probeMedia(input);
    const video = checkEmbeddable(info, { minDuration: 0 });
    // A frame rate MXF refuses: the encoder exits at once; the pipeline must not hang on a full pipe.
    const run = runEmbedPipeline({ info, video: { ...video, codec: 'mpeg2video' }, ext: '.mxf', key: KEY, targets: [{ output: path.join(sub, 'x.mxf'), payload: 5 }] });
    await expectCode(run, 'MEDIA_FAILED');
    expect(await fs.readdir(sub)).toEqual([]);
  });
});
