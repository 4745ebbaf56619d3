/**
 * The attacks of the watermark bench, as ffmpeg arguments between the input and the output file.
 * Shared by bench/watermark.ts (the full bench) and bench/watermark-geometry.ts (quick trials).
 */
export interface Attack {
  name: string;
  /** ffmpeg args between the input and the output file (filters + codec). */
  args: string[];
  /** A target exact-ID rate the issue set for this attack, if any. */
  target?: number;
  /** Set on a case harder than any the issue sets a target for: why it is measured anyway. */
  stress?: string;
}

/** The font the drawn-on text uses (Debian's fonts-dejavu-core, which libass also finds by name). */
export const BOLD_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';

export const x264 = (rate: string): string[] => ['-c:v', 'libx264', '-preset', 'veryfast', '-b:v', rate, '-maxrate', rate, '-bufsize', rate, '-pix_fmt', 'yuv420p'];
export const x265 = (rate: string): string[] => ['-c:v', 'libx265', '-preset', 'ultrafast', '-b:v', rate, '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p'];
const x264crf = (crf: number): string[] => ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(crf), '-pix_fmt', 'yuv420p'];
const x265crf = (crf: number): string[] => ['-c:v', 'libx265', '-preset', 'ultrafast', '-crf', String(crf), '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p'];

/** The margin grid's axes (issue 14 item 0): every pair of codec and height, at each crf. */
export const MARGIN_CODECS = ['H.264', 'H.265'] as const;
export const MARGIN_HEIGHTS = [480, 720] as const;
export const MARGIN_CRFS = [23, 26, 29, 32] as const;

/**
 * Issue 14 item 0, the margin case set: plain re-encodes, {H.264, H.265} x {480p, 720p} x crf
 * {23, 26, 29, 32}, each held to 99 % exact IDs. `BENCH_ATTACKS=crf` runs just these; the bench
 * prints each cell's min / median pilotZ against the null trials' largest, so a thin margin shows
 * before a cell starts to fail.
 */
export const REENCODE_ATTACKS: Attack[] = MARGIN_CODECS.flatMap((codec) => MARGIN_HEIGHTS.flatMap((h) => MARGIN_CRFS.map((crf) => ({
  name: `${codec} ${h}p crf ${crf}`,
  args: ['-vf', `scale=-2:${h}`, ...(codec === 'H.264' ? x264crf(crf) : x265crf(crf))],
  target: 0.99,
}))));

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

/**
 * Five pieces of unequal length (0-4, 4-11, 11-17, 17-25, 25-30 s), assembled in the order 4 2 5 1 3,
 * scaled to 480p, then `encode`.
 */
function fivePieces(encode: string[]): string[] {
  return ['-filter_complex', [
    '[0:v]split=5[a0][a1][a2][a3][a4]',
    ...[[0, 4], [4, 11], [11, 17], [17, 25], [25, 30]].map(([s, e], i) => `[a${i}]trim=start=${s}:end=${e},setpts=PTS-STARTPTS[p${i}]`),
    '[p3][p1][p4][p0][p2]concat=n=5:v=1:a=0,scale=-2:480[v]',
  ].join(';'), '-map', '[v]', ...encode];
}

/** A filter graph on the clip's video ([0:v] in, [v] out), then H.264 480p 1 Mbps. */
const graph = (g: string): string[] => ['-filter_complex', `[0:v]${g},scale=-2:480[v]`, '-map', '[v]', ...x264('1M')];

/**
 * Issue 14 item 2: time changes, each followed by H.264 480p 1 Mbps (target 95 %). The output keeps
 * the clip's frame rate (mp4 is constant-rate), so new timestamps turn into dropped or repeated frames.
 */
export const TIME_ATTACKS: Attack[] = [
  { name: 'speed ×1.1', args: ['-vf', 'setpts=PTS/1.1,scale=-2:480', ...x264('1M')], target: 0.95 },
  { name: 'speed ×0.9', args: ['-vf', 'setpts=PTS/0.9,scale=-2:480', ...x264('1M')], target: 0.95 },
  { name: 'drop every 6th frame', args: graph(String.raw`select='not(eq(mod(n\,6)\,5))',setpts=N/FRAME_RATE/TB`), target: 0.95 },
  { name: 'drop 20 % of frames at random', args: graph(String.raw`select='gte(random(1)\,0.2)',setpts=N/FRAME_RATE/TB`), target: 0.95 },
  // timestamps jittered by up to ±0.45 frame (still monotonic), then resampled: runs of drops and repeats
  { name: 'jittered timing: frames dropped and repeated', args: graph(String.raw`setpts='(N+0.45*sin(N*1.7))/FRAME_RATE/TB',fps=source_fps`), target: 0.95 },
  { name: 'five pieces reassembled in another order', args: fivePieces(x264('1M')), target: 0.95 },
];

/** Files the overlay attacks draw on the picture; made by the bench (see makeOverlayAssets). */
export interface OverlayAssets {
  /** an SRT file of two-line subtitles changing every few seconds */
  subtitles: string;
  /** a channel logo, PNG with alpha */
  logo: string;
  /** another clip (another title) for picture-in-picture, at least 30 s */
  pip: string;
}

/** The burned-in subtitles of the overlay cases, on whatever picture the filter chain has made so far. */
const subtitles = (a: OverlayAssets): string =>
  `subtitles=${a.subtitles}:force_style='FontName=DejaVu Sans,FontSize=26,Bold=1,Outline=2,Shadow=1,MarginV=28'`;

/** Issue 14 item 3: overlays, each followed by H.264 480p 1 Mbps (target 95 %). */
export function overlayAttacks(a: OverlayAssets): Attack[] {
  return [
    {
      name: 'burned-in subtitles',
      args: ['-vf', `${subtitles(a)},scale=-2:480`, ...x264('1M')],
      target: 0.95,
    },
    // a single-frame movie source: overlay repeats its last frame, so the logo stays on
    {
      name: 'channel logo',
      args: ['-filter_complex', `movie=${a.logo}[logo];[0:v][logo]overlay=W-w-W/30:H/20,scale=-2:480[v]`, '-map', '[v]', ...x264('1M')],
      target: 0.95,
    },
    // the other clip at half the width and height (25 % of the picture; the clip is the source's
    // size), with a white frame, bottom right
    {
      name: 'picture-in-picture covering 25 %',
      args: ['-filter_complex', `movie=${a.pip}:loop=0,setpts=N/FRAME_RATE/TB,scale=iw/2:ih/2,drawbox=c=white:t=4[pip];[0:v][pip]overlay=W-w:H-h:shortest=1,scale=-2:480[v]`, '-map', '[v]', ...x264('1M')],
      target: 0.95,
    },
  ];
}

/**
 * A news channel's graphics at the source size: a lower-third caption box (62 % x 13 % of the
 * picture, two lines of text) above a full-width ticker band (7 %) whose text scrolls right to left
 * at 160 px/s, both drawn on every frame, so about 15 % of the picture carries moving or static text.
 */
const NEWS_GRAPHICS = [
  'drawbox=x=0:y=ih*0.70:w=iw*0.62:h=ih*0.13:c=0x1a1a2a@0.85:t=fill',
  'drawbox=x=0:y=ih*0.70:w=iw*0.012:h=ih*0.13:c=0xd02020:t=fill',
  `drawtext=fontfile=${BOLD_FONT}:text='STORM REACHES THE COAST':fontcolor=white:fontsize=h*0.048:x=w*0.03:y=h*0.715`,
  `drawtext=fontfile=${BOLD_FONT}:text='Live from the harbour as the first ferries are cancelled':fontcolor=0xd8d8d8:fontsize=h*0.03:x=w*0.03:y=h*0.775`,
  'drawbox=x=0:y=ih*0.88:w=iw:h=ih*0.07:c=0xb01515@0.92:t=fill',
  `drawtext=fontfile=${BOLD_FONT}:text='MARKETS UP 1.2 PCT   -   RAIL STRIKE CALLED OFF   -   WEATHER WARNING FOR THE NORTH UNTIL FRIDAY   -   FINAL SCORE 2 - 1   -   ':fontcolor=white:fontsize=h*0.042:x=w-mod(t*160\\,w+tw):y=h*0.88+(h*0.07-th)/2`,
].join(',');

/**
 * Cases the real world makes that the lists do not: broadcast graphics, a larger
 * picture-in-picture, combinations of the single attacks, and a camcorder in a cinema. The encode
 * after each is in its name. The combinations are held to the 95 % of the geometry, time and
 * overlay items, since each part is one of those cases.
 */
export function realWorldAttacks(a: OverlayAssets): Attack[] {
  return [
    { name: 'news ticker + lower third + H.264 480p 1 Mbps', args: ['-vf', `${NEWS_GRAPHICS},scale=-2:480`, ...x264('1M')], target: 0.95 },
    // sqrt(0.4) = 0.632 of the width and height (808x454 of 1280x720: 39.8 % of the picture)
    {
      name: 'picture-in-picture covering 40 % + H.264 480p 1 Mbps',
      args: ['-filter_complex', `movie=${a.pip}:loop=0,setpts=N/FRAME_RATE/TB,scale=trunc(iw*0.632/2)*2:trunc(ih*0.632/2)*2,drawbox=c=white:t=4[pip];[0:v][pip]overlay=W-w:H-h:shortest=1,scale=-2:480[v]`, '-map', '[v]', ...x264('1M')],
      stress: 'beyond the issue\'s 25 % picture-in-picture: 40 % of the marked picture is replaced by another title, which also adds its own content to what the detector sums',
    },
    { name: 'speed ×1.07 + crop 20 % + H.264 480p 1 Mbps', args: ['-vf', 'setpts=PTS/1.07,crop=iw*0.8:ih*0.8:iw*0.13:ih*0.07,scale=-2:480', ...x264('1M')], target: 0.95 },
    // letterboxed first, so the subtitles sit partly in the bottom band, as a fansub release has them
    { name: 'mirror + 2.35:1 letterbox + burned-in subtitles + H.264 480p 1 Mbps', args: ['-vf', `hflip,scale=854:364,pad=854:480:0:58,${subtitles(a)}`, ...x264('1M')], target: 0.95 },
    { name: 'five pieces reassembled in another order + H.265 480p crf 30', args: fivePieces(x265crf(30)), target: 0.95 },
    // a camera pointed at a screen from slightly off-axis and below: keystone, soft focus, sensor
    // noise, a different gamma, and the camera's 25 fps against the film's 24
    {
      name: 'camcorder: keystone + blur + noise + gamma + 25 fps + H.264 480p 1 Mbps',
      args: ['-vf', 'perspective=x0=W*0.03:y0=H*0.02:x1=W*0.985:y1=H*0.05:x2=W*0.01:y2=H*0.97:x3=W*0.965:y3=H*0.995:interpolation=linear,gblur=sigma=1.2,noise=alls=8:allf=t,eq=gamma=1.15:contrast=1.05:saturation=0.9,fps=25,scale=-2:480', ...x264('1M')],
      target: 0.95,
    },
  ];
}
