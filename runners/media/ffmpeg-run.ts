/**
 * One ffmpeg process run through fluent-ffmpeg, as a promise with a kill switch and the tail of
 * its stderr for error messages.
 */
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
 * glibc malloc settings for encoders of raw frames (the embed pipeline, the A/B packager). With a
 * second input (the source, for its audio) ffmpeg 5.1 reads each input on its own thread, and the
 * raw-frame packets (a megabyte or more each)
 * allocated there and freed on the main thread make glibc return the memory to the kernel and take
 * it back, faulting in fresh zeroed pages for every frame: measured at 720p, twice the page faults
 * and ~0.5 s more system time per 40 s than the same encoder with one input. Keeping large blocks
 * on the heap (mmap threshold) and not trimming it (trim threshold) ends the churn; the cost is
 * that the encoder keeps its peak heap until it exits, a few frames' worth.
 */
export const ENCODER_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(256 << 20) };

type Callback = (error: Error | null, result?: unknown) => void;

/** `env`: variables set for this ffmpeg alone, over this process's own (fluent-ffmpeg has no option for it). */
export function newCommand(options: { env?: Record<string, string> } = {}): FfmpegCommand {
  // stdoutLines 40: keep the last lines of stderr for the error message, not all of it.
  const command = ffmpeg({ stdoutLines: 40 });
  // Before each run fluent-ffmpeg starts `ffmpeg -formats` and `ffmpeg -encoders`: to check the
  // formats and codecs named through its own setters (.format(), .audioCodec()) and to add
  // "-strict experimental" after an -acodec/-vcodec naming an experimental encoder. We never use
  // those: every option goes in raw (-c:v, -f), and ffmpeg itself refuses an unknown one. Yet the
  // two extra processes cost ~0.15 s CPU each, and commands started together (an embed's decoder
  // and encoders) each run them before fluent's cache fills: ~0.6 s of a `vigil embed`. Skip both.
  const internals = command as unknown as {
    _checkCapabilities?: (cb: Callback) => void;
    availableEncoders?: (cb: Callback) => void;
    _spawnFfmpeg?: (args: string[], spawnOptions: object, ...callbacks: unknown[]) => void;
  };
  if (typeof internals._checkCapabilities !== 'function') throw new Error('fluent-ffmpeg no longer has _checkCapabilities: see ffmpeg-run.ts');
  internals._checkCapabilities = (cb) => cb(null);
  internals.availableEncoders = (cb) => cb(null, {});
  const { env } = options;
  if (env) {
    const spawnFfmpeg = internals._spawnFfmpeg;
    if (typeof spawnFfmpeg !== 'function') throw new Error('fluent-ffmpeg no longer has _spawnFfmpeg: see ffmpeg-run.ts');
    // run() always passes its spawn options (cwd, niceness) as an object, which goes to spawn() as is.
    internals._spawnFfmpeg = (args, spawnOptions, ...callbacks) => spawnFfmpeg.call(command, args, { ...spawnOptions, env: { ...process.env, ...env } }, ...callbacks);
  }
  return command;
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

/** The last stderr lines worth quoting: progress lines ("frame= …", "size= …") say nothing about a failure. */
function stderrTail(stderr: string): string {
  return stderr.trim().split(/[\r\n]+/).filter((l) => l && !/^\s*(frame=|size=|Press \[q\])/.test(l)).slice(-6).join('\n');
}

export function start(command: FfmpegCommand, label: string, launch: (c: FfmpegCommand) => void = (c) => c.run()): FfmpegRun {
  let killed = false;
  const done = new Promise<void>((resolve, reject) => {
    command.on('end', () => resolve());
    command.on('error', (error: Error, _stdout: string | null, stderr: string | null) => {
      const tail = stderrTail(stderr ?? '');
      reject(Object.assign(new Error(`${label}: ${killed ? 'killed' : error.message}${tail ? `\n${tail}` : ''}`), { killed }));
    });
  });
  done.catch(() => undefined);
  // fluent-ffmpeg spawns after some async preparation: a kill that came before must still land,
  // or the child would run (or block on a pipe) with nobody waiting for it.
  command.once('start', () => {
    if (killed) command.kill('SIGKILL');
  });
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
