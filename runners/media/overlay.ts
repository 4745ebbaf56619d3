/**
 * The visible image watermark as an ffmpeg filter graph: pure, so its timing and placement are
 * tested without video. The forensic mark is embedded before this runs (in the raw frames piped to
 * the encoder), so the visible image never masks it from the detector's point of view.
 */
import { VigilError } from '../../core/errors.js';

export type NamedPosition = 'top-left' | 'top' | 'top-right' | 'left' | 'center' | 'right' | 'bottom-left' | 'bottom' | 'bottom-right';
export const NAMED_POSITIONS: readonly NamedPosition[] = ['top-left', 'top', 'top-right', 'left', 'center', 'right', 'bottom-left', 'bottom', 'bottom-right'];
/** A named spot, or the image's top-left corner as a fraction of the frame (0..1). */
export type Position = NamedPosition | { x: number; y: number };

/** What an operator asks for (CLI flags or an EmbedJob's `visible`). */
export interface VisibleSettings {
  image: string;
  alpha?: number;
  positions?: Position[];
  /** HH:MM:SS */
  interval?: string;
  /** HH:MM:SS */
  disappear?: string;
}

/** One stretch of time during which the image is shown at one position. */
export interface Segment {
  start: number;
  end: number;
  position: number;
}

/** The most segments one graph may hold: an interval so short it makes more is a mistake. */
export const MAX_SEGMENTS = 2000;
/** The image may cover at most this share of the frame. */
export const MAX_AREA_SHARE = 0.05;

/** HH:MM:SS → seconds. */
export function parseClock(option: string, value: string): number {
  const m = /^(\d{2,}):([0-5]\d):([0-5]\d)$/.exec(value.trim());
  if (!m) throw new VigilError('VISIBLE_SETTINGS_INVALID', `${option} must be HH:MM:SS, not ${JSON.stringify(value)}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

export function parsePosition(value: string): Position {
  const v = value.trim().toLowerCase();
  if ((NAMED_POSITIONS as readonly string[]).includes(v)) return v as NamedPosition;
  const m = /^(0(?:\.\d+)?|1(?:\.0+)?)[:x,/](0(?:\.\d+)?|1(?:\.0+)?)$/.exec(v);
  if (m) return { x: Number(m[1]), y: Number(m[2]) };
  throw new VigilError('VISIBLE_SETTINGS_INVALID', `position ${JSON.stringify(value)} is not one of ${NAMED_POSITIONS.join(', ')} or X:Y fractions such as 0.5:0.1`);
}

/**
 * When the image shows, and where. Rules operators know from other tools:
 * - no interval: shown from the start at the first position; with `disappear`, shown once for that long, then gone;
 * - interval: moves to the next position at each interval (cycling); with `disappear`, shown for that long
 *   at the start of each interval;
 * - a disappear of 0, or not shorter than the interval, is ignored.
 */
export function visibleSegments(duration: number, positions: number, interval: number | undefined, disappear: number | undefined): Segment[] {
  const step = interval !== undefined && interval > 0 ? interval : undefined;
  let show = disappear !== undefined && disappear > 0 ? disappear : undefined;
  if (step !== undefined && show !== undefined && show >= step) show = undefined;
  if (duration <= 0) return [];
  if (step === undefined) return [{ start: 0, end: Math.min(show ?? duration, duration), position: 0 }];
  const count = Math.ceil(duration / step);
  if (count > MAX_SEGMENTS) {
    throw new VigilError('VISIBLE_SETTINGS_INVALID', `an interval of ${step} s makes ${count} position changes over ${Math.round(duration)} s; the most is ${MAX_SEGMENTS}`);
  }
  const segments: Segment[] = [];
  for (let k = 0; k < count; k++) {
    const start = k * step;
    segments.push({ start, end: Math.min(start + (show ?? step), duration), position: k % Math.max(1, positions) });
  }
  return segments;
}

function even(v: number): number {
  return Math.max(0, Math.floor(v / 2) * 2);
}

/** Pixel spot of the image's top-left corner, moved inside the frame if it would leave it. */
export function placeImage(position: Position, frame: { width: number; height: number }, image: { width: number; height: number }): { x: number; y: number } {
  const { width: W, height: H } = frame;
  const { width: w, height: h } = image;
  const margin = Math.round(Math.min(W, H) * 0.03);
  let x: number;
  let y: number;
  if (typeof position === 'object') {
    x = Math.round(position.x * W);
    y = Math.round(position.y * H);
  } else {
    const col = position.endsWith('left') ? 0 : position.endsWith('right') ? 2 : 1;
    const row = position.startsWith('top') ? 0 : position.startsWith('bottom') ? 2 : 1;
    x = col === 0 ? margin : col === 2 ? W - w - margin : (W - w) / 2;
    y = row === 0 ? margin : row === 2 ? H - h - margin : (H - h) / 2;
  }
  return { x: even(Math.min(Math.max(0, x), W - w)), y: even(Math.min(Math.max(0, y), H - h)) };
}

export interface OverlayPlan {
  /** -filter_complex value; reads `[0:v]` (video) and `[N:v]` (image), writes `[vout]`. */
  filter: string;
  segments: Segment[];
  spots: { x: number; y: number }[];
}

export interface OverlayInput {
  settings: VisibleSettings;
  /** Input index of the image in the encoder command. */
  imageInput: number;
  frame: { width: number; height: number };
  image: { width: number; height: number };
  duration: number;
  /** overlay `format=` that keeps the frame's pixel format (from codecs.ts). */
  overlayFormat: string;
  /** Pixel format the encoder gets. */
  pixFmt: string;
}

function round3(v: number): string {
  return String(Math.round(v * 1000) / 1000);
}

/** Checks the settings and builds the filter graph; throws VISIBLE_SETTINGS_INVALID, never resizes. */
export function overlayPlan(input: OverlayInput): OverlayPlan {
  const { settings, frame, image } = input;
  const alpha = settings.alpha ?? 1;
  if (!Number.isFinite(alpha) || alpha < 0.01 || alpha > 1) {
    throw new VigilError('VISIBLE_SETTINGS_INVALID', `alpha must be between 0.01 and 1.0, not ${alpha}`);
  }
  const share = (image.width * image.height) / (frame.width * frame.height);
  if (share > MAX_AREA_SHARE) {
    throw new VigilError('VISIBLE_SETTINGS_INVALID',
      `the image is ${image.width}x${image.height}, ${(share * 100).toFixed(1)} % of the ${frame.width}x${frame.height} frame; the most is ${MAX_AREA_SHARE * 100} % (resize it yourself; Vigil never resizes it silently)`);
  }
  const positions = settings.positions && settings.positions.length > 0 ? settings.positions : (['top-right'] as Position[]);
  const interval = settings.interval !== undefined ? parseClock('interval', settings.interval) : undefined;
  const disappear = settings.disappear !== undefined ? parseClock('disappear', settings.disappear) : undefined;
  const segments = visibleSegments(input.duration, positions.length, interval, disappear);
  const spots = positions.map((p) => placeImage(p, frame, image));
  const used = [...new Set(segments.map((s) => s.position))].sort((a, b) => a - b);
  if (used.length === 0) return { filter: `[0:v]null[vout]`, segments, spots };
  const parts: string[] = [];
  const wm = used.map((_, i) => `[wm${i}]`);
  parts.push(`[${input.imageInput}:v]format=rgba,colorchannelmixer=aa=${round3(alpha)}${used.length > 1 ? `,split=${used.length}${wm.join('')}` : wm[0]}`);
  let last = '[0:v]';
  used.forEach((pos, i) => {
    // between() is inclusive; end a hair early so two positions never share a frame.
    const enable = segments.filter((s) => s.position === pos).map((s) => `between(t,${round3(s.start)},${round3(Math.max(s.start, s.end - 0.001))})`).join('+');
    const out = `[ov${i}]`;
    parts.push(`${last}${wm[i]}overlay=x=${spots[pos]!.x}:y=${spots[pos]!.y}:format=${input.overlayFormat}:enable='${enable}'${out}`);
    last = out;
  });
  parts.push(`${last}format=${input.pixFmt}[vout]`);
  return { filter: parts.join(';'), segments, spots };
}
