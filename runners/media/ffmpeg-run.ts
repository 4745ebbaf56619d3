/**
 * One ffmpeg process run through fluent-ffmpeg, as a promise with a kill switch and the tail of
 * its stderr for error messages.
 */
import { PassThrough } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';

export type FfmpegCommand = ffmpeg.FfmpegCommand;

export interface FfmpegRun {
  /** Resolves when ffmpeg exits with 0; rejects with its last stderr lines otherwise. */
  done: Promise<void>;
  /** SIGKILL: used on abort and failure, when the output is thrown away anyway. */
  kill(): void;
  readonly label: string;
}

/**
 * The stream an ffmpeg decoder's stdout is piped into. fluent-ffmpeg treats a 'close' of the piped
 * stream as a failure unless ffmpeg's exit event arrives within 20 ms, and a stream that destroys
 * itself once read to the end closes before that exit under load: the run then fails with "Output
 * stream closed" although ffmpeg succeeded. Without autoDestroy the stream never closes on its own.
 */
export function rawFrameSink(highWaterMark: number): PassThrough {
  return new PassThrough({ highWaterMark, autoDestroy: false });
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
