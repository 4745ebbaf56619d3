/**
 * The attacks of the watermark bench, as ffmpeg arguments between the input and the output file.
 * Shared by bench/watermark.ts (the full bench) and native/bench/geometry.ts (quick trials).
 */
export interface Attack {
  name: string;
  /** ffmpeg args between the input and the output file (filters + codec). */
  args: string[];
  /** A target exact-ID rate the issue set for this attack, if any. */
  target?: number;
}

export const x264 = (rate: string): string[] => ['-c:v', 'libx264', '-preset', 'veryfast', '-b:v', rate, '-maxrate', rate, '-bufsize', rate, '-pix_fmt', 'yuv420p'];
export const x265 = (rate: string): string[] => ['-c:v', 'libx265', '-preset', 'ultrafast', '-b:v', rate, '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p'];
const x264crf = (crf: number): string[] => ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(crf), '-pix_fmt', 'yuv420p'];
const x265crf = (crf: number): string[] => ['-c:v', 'libx265', '-preset', 'ultrafast', '-crf', String(crf), '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p'];

/** Issue 14 item 0: plain re-encodes, 480p-720p, crf 23-32 (target 99 %). */
export const REENCODE_ATTACKS: Attack[] = [
  { name: 'H.264 720p crf 23', args: x264crf(23), target: 0.99 },
  { name: 'H.264 720p crf 32', args: x264crf(32), target: 0.99 },
  { name: 'H.264 480p crf 28', args: ['-vf', 'scale=-2:480', ...x264crf(28)], target: 0.99 },
  { name: 'H.264 480p crf 32', args: ['-vf', 'scale=-2:480', ...x264crf(32)], target: 0.99 },
  { name: 'H.265 720p crf 23', args: x265crf(23), target: 0.99 },
  { name: 'H.265 720p crf 30', args: x265crf(30), target: 0.99 },
  { name: 'H.265 720p crf 32', args: x265crf(32), target: 0.99 },
  { name: 'H.265 480p crf 28', args: ['-vf', 'scale=-2:480', ...x265crf(28)], target: 0.99 },
  { name: 'H.265 480p crf 32', args: ['-vf', 'scale=-2:480', ...x265crf(32)], target: 0.99 },
];

/**
 * Issue 14 item 1: geometry, each followed by H.264 480p 1 Mbps (target 95 %). Sizes assume a 16:9
 * source; the frame after each filter is what a pirate would upload.
 */
export const GEOMETRY_ATTACKS: Attack[] = [
  { name: 'mirror horizontal', args: ['-vf', 'hflip,scale=-2:480', ...x264('1M')], target: 0.95 },
  { name: 'mirror vertical', args: ['-vf', 'vflip,scale=-2:480', ...x264('1M')], target: 0.95 },
  { name: 'squeeze into 2.35:1 band, letterboxed to 16:9', args: ['-vf', 'scale=854:364,pad=854:480:0:58', ...x264('1M')], target: 0.95 },
  { name: 'squeeze to 4:3, pillarboxed to 16:9', args: ['-vf', 'scale=640:480,pad=854:480:107:0', ...x264('1M')], target: 0.95 },
  { name: 'off-centre bands (30/124 px left/right, 40/46 px top/bottom)', args: ['-vf', 'scale=700:394,pad=854:480:30:40', ...x264('1M')], target: 0.95 },
  { name: 'vertical ×0.5 in a letterbox band', args: ['-vf', 'scale=854:240,pad=854:480:0:120', ...x264('1M')], target: 0.95 },
  { name: 'horizontal ×0.5 (16:9 to 8:9)', args: ['-vf', 'scale=428:480', ...x264('1M')], target: 0.95 },
  { name: 'horizontal ×2 (16:9 to 32:9)', args: ['-vf', 'scale=1708:480', ...x264('1M')], target: 0.95 },
  { name: 'vertical ×2 (16:9 to 8:9), cropped to 4:3', args: ['-vf', 'scale=640:720,crop=640:480:0:100', ...x264('1M')], target: 0.95 },
  { name: 'crop 40 % per axis', args: ['-vf', 'crop=iw*0.6:ih*0.6:iw*0.3:ih*0.1,scale=-2:480', ...x264('1M')], target: 0.95 },
  { name: 'crop 40 % horizontal only', args: ['-vf', 'crop=iw*0.6:ih:iw*0.15:0,scale=-2:480', ...x264('1M')], target: 0.95 },
  { name: 'rotate 5°', args: ['-vf', 'rotate=5*PI/180,scale=-2:480', ...x264('1M')], target: 0.95 },
  { name: 'rotate 3°, mirror horizontal, letterbox', args: ['-vf', 'rotate=-3*PI/180,hflip,scale=854:400,pad=854:480:0:40', ...x264('1M')], target: 0.95 },
];
