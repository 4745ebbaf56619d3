/**
 * The files the overlay attacks of bench/watermark-attacks.ts draw on a clip: an SRT of burned-in
 * subtitles, a channel logo (PNG with alpha) and another title's clip for picture-in-picture.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeNaturalSource, naturalPhotos } from './natural-source.js';
import { BOLD_FONT, type OverlayAssets } from './watermark-attacks.js';

const exec = promisify(execFile);

const LINES = [
  'Where were you when the lights went out?', 'I was down by the river, waiting.',
  'You should not have come back here.', 'Nobody else knows about the boat.',
  'Then we leave tonight, before the storm.', 'And what do we tell the others?',
];

function srtTime(s: number): string {
  const ms = Math.round(s * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(Math.floor(ms / 3_600_000))}:${p(Math.floor(ms / 60_000) % 60)}:${p(Math.floor(ms / 1000) % 60)},${p(ms % 1000, 3)}`;
}

/** Where the assets go under `dir` (known before they are made, so attacks can be listed first). */
export function overlayAssetPaths(dir: string): OverlayAssets {
  return { subtitles: path.join(dir, 'subtitles.srt'), logo: path.join(dir, 'logo.png'), pip: path.join(dir, 'pip.mp4') };
}

/** Writes the assets for clips of `seconds`; the picture-in-picture clip is width x height. */
export async function makeOverlayAssets(assets: OverlayAssets, opts: { seconds: number; width: number; height: number; fps: number }): Promise<void> {
  const { subtitles, logo, pip } = assets;
  // a two-line subtitle every 2.5 s, on screen 2.2 s, from the first second to the end
  const cues: string[] = [];
  for (let i = 0, t = 0.5; t < opts.seconds; i++, t += 2.5) {
    cues.push(`${i + 1}\n${srtTime(t)} --> ${srtTime(t + 2.2)}\n${LINES[i % LINES.length]}\n${LINES[(i + 3) % LINES.length]}\n`);
  }
  await fs.writeFile(subtitles, cues.join('\n'));
  // an opaque rounded-ish badge with white lettering: the high-contrast corner a broadcaster adds
  await exec('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=black@0.0:s=240x96,format=rgba',
    '-vf', `drawbox=x=4:y=4:w=232:h=88:c=0x1050c0@0.85:t=fill,drawtext=fontfile=${BOLD_FONT}:text='VTV 24':fontcolor=white:fontsize=52:borderw=2:bordercolor=black:x=(w-tw)/2:y=(h-th)/2`,
    '-frames:v', '1', logo]);
  // another title: the same photographs in the other order, panned differently
  const photos = (await naturalPhotos()).reverse();
  await makeNaturalSource(pip, photos, { seconds: Math.max(opts.seconds, 32), width: opts.width, height: opts.height, fps: opts.fps });
}
