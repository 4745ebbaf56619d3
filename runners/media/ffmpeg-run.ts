/**
 * One ffmpeg process run through fluent-ffmpeg, as a promise with a kill switch and the tail of
 * its stderr for error messages.
 */
import type { Writable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';

export type FfmpegCommand = ffmpeg.FfmpegCommand;

export interface FfmpegRun {
  /** Resolves when ffmpeg exits with 0; rejects with its last stderr lines otherwise. */
  done: Promise<void>;
  /** SIGKILL: used on abort and failure, when the output is thrown away anyway. */
  kill(): void;
  readonly label: string;
}

export function newCommand(): FfmpegCommand {
  // stdoutLines 40: keep the last lines of stderr for the error message, not all of it.
  return ffmpeg({ stdoutLines: 40 });
}

/** Adds options without fluent-ffmpeg's "split a two-word string" guess (filter graphs have spaces). */
export function addInputOptions(command: FfmpegCommand, options: string[]): FfmpegCommand {
  if (options.length === 0) return command;
  if (options.length === 1) return command.inputOptions([options[0]!]);
  return command.inputOptions(...options);
}

export function addOutputOptions(command: FfmpegCommand, options: string[]): FfmpegCommand {
  if (options.length === 0) return command;
  if (options.length === 1) return command.outputOptions([options[0]!]);
  return command.outputOptions(...options);
}

export function start(command: FfmpegCommand, label: string, launch: (c: FfmpegCommand) => void = (c) => c.run()): FfmpegRun {
  let killed = false;
  const done = new Promise<void>((resolve, reject) => {
    command.on('end', () => resolve());
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      const tail = (stderr ?? '').trim().split('\n').filter((l) => l && !/^\s*(frame=|size=|Press \[q\])/.test(l)).slice(-6).join('\n');
      reject(Object.assign(new Error(`${label}: ${killed ? 'killed' : error.message}${tail ? `\n${tail}` : ''}`), { killed }));
    });
  });
  done.catch(() => undefined);
  launch(command);
  return {
    done,
    label,
    kill() {
      if (killed) return;
      killed = true;
      try {
        command.kill('SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

/**
 * Starts a run whose input is `pipe:0` and hands over its stdin. Frames are written to it
 * directly, not through a stream that fluent-ffmpeg pipes in, so that a write's callback means
 * "the child has the bytes" and the frame's buffer can be refilled. fluent-ffmpeg keeps the child
 * on `ffmpegProc` from just before its 'start' event. `stdin` rejects if the run ends first.
 */
export function startWithStdin(command: FfmpegCommand, label: string): { run: FfmpegRun; stdin: Promise<Writable> } {
  let run: FfmpegRun | undefined;
  const stdin = new Promise<Writable>((resolve, reject) => {
    command.once('start', () => {
      const pipe = (command as unknown as { ffmpegProc?: { stdin?: Writable | null } }).ffmpegProc?.stdin;
      if (!pipe) return reject(new Error(`${label}: started without a stdin pipe`));
      // A dead child shows as EPIPE on a write's callback; the stream's own 'error' must not go unhandled.
      pipe.on('error', () => undefined);
      resolve(pipe);
    });
    run = start(command, label);
    run.done.then(() => reject(new Error(`${label}: exited before reading any frame`)), reject);
  });
  stdin.catch(() => undefined);
  return { run: run!, stdin };
}
