import type { Writable } from 'node:stream';
import type { Logger } from '../core/log.js';
import { statusLineOf } from './status-line.js';

export interface ProgressState {
  fraction: number;
  frames: number;
  fps?: number;
  batch?: number;
  batches?: number;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(s % 60).padStart(2, '0')}`;
}

/** One progress line, as drawn on a terminal. */
export function progressLine(label: string, p: ProgressState, elapsedMs: number, width = 30): string {
  const f = Math.min(1, Math.max(0, p.fraction));
  const filled = Math.round(f * width);
  const eta = f > 0.001 ? (elapsedMs / 1000) * ((1 - f) / f) : undefined;
  const batch = p.batches && p.batches > 1 ? ` pass ${p.batch}/${p.batches}` : '';
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(f * 100)).padStart(3)}% ${p.frames} frames${p.fps ? ` ${p.fps.toFixed(0)} fps` : ''}${batch}${eta !== undefined ? ` ETA ${clock(eta)}` : ''}`;
}

/**
 * A progress bar on a terminal (stderr is a TTY), else structured progress events in the log
 * every few seconds: people watch bars, log collectors read events. Log lines written meanwhile
 * appear above the bar (see status-line.ts).
 */
export function progressReporter(stream: Writable, log: Logger, label: string, context: Record<string, unknown> = {}): { update(p: ProgressState): void; done(): void } {
  const line = statusLineOf(stream);
  const started = Date.now();
  let lastLog = 0;
  return {
    update(p) {
      if (line.tty) line.draw(progressLine(label, p, Date.now() - started));
      else if (Date.now() - lastLog >= 5000 || p.fraction >= 1) {
        lastLog = Date.now();
        log.info({ ...context, percent: Math.floor(p.fraction * 100), frames: p.frames, fps: p.fps ? Math.round(p.fps) : undefined }, `${label} progress`);
      }
    },
    done() {
      line.done();
    },
  };
}
