import type { Readable } from 'node:stream';

/**
 * The most a webhook body may hold. GitHub caps payloads at 25 MB, but a catalog repository's
 * deliveries are small: a pull request event is tens of KB, and a push lists at most a few thousand
 * commits' file paths. 5 MiB leaves room for a bulk import of tens of thousands of files while
 * keeping an unauthenticated sender (the signature can only be checked once the body is read) from
 * making the server buffer more than that per request.
 */
export const MAX_WEBHOOK_BODY_BYTES = 5 * 1024 * 1024;

export type CappedBody = { ok: true; body: Buffer } | { ok: false; reason: 'too-large' };

/**
 * Reads a request body of at most `maxBytes`. A declared Content-Length over the cap is refused
 * before a byte is read; a chunked body is read until it passes the cap, then reading stops (the
 * stream is paused; the caller answers and closes the connection).
 */
export function readCappedBody(stream: Readable, maxBytes: number, declaredLength?: string): Promise<CappedBody> {
  if (declaredLength !== undefined && Number(declaredLength) > maxBytes) return Promise.resolve({ ok: false, reason: 'too-large' });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        stop();
        stream.pause();
        chunks.length = 0;
        resolve({ ok: false, reason: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      resolve({ ok: true, body: Buffer.concat(chunks) });
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}
