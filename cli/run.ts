import { main } from './main.js';

// The process edge: real streams, environment and signals.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => controller.abort(new Error(signal)));
}

// A reader that stops early (`vigil findings | head -1`) closes the pipe: the next write fails with
// EPIPE, which Node would raise as an uncaught error with a stack. The reader has what it wanted, so
// it is no failure: drop further output, stop long-running work, and exit 0 as `yes | head` does.
let readerGone = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    if (stream === process.stdout && !readerGone) {
      readerGone = true;
      controller.abort(new Error('EPIPE'));
    }
  });
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal: controller.signal,
});
process.exitCode = readerGone ? 0 : code;
