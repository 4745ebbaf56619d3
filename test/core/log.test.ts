import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { clearSecrets, registerProcessSecrets } from '../../core/redact.js';

afterEach(() => clearSecrets());

function captured() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
  return { log: createLogger('debug', 'test', { format: 'json', write: (line) => stream.write(line) }), lines };
}

describe('the logger', () => {
  it('masks secrets in messages, nested fields and serialised errors with their causes and stacks', () => {
    const env = {
      DATABASE_URL: 'postgres://vigil:pg-pass-1234@db.example:5432/vigil',
      GITHUB_WEBHOOK_SECRET: 'whsec-abcdef123',
      VIGIL_WATERMARK_KEY: 'ab'.repeat(32),
      VIGIL_SOURCE_INDEXER_KEY: 'idx-9876543210',
    };
    registerProcessSecrets(loadConfig(env), env);
    const { log, lines } = captured();
    const cause = new Error(`auth failed with whsec-abcdef123 for ${env.DATABASE_URL}`);
    log.error({ err: new VigilError('FETCH_FAILED', 'could not fetch https://idx.example/api?q=x&apikey=idx-9876543210', { cause }) }, 'round failed');
    log.info({ job: { request: { headers: { Authorization: 'Bearer unregistered-token-42' }, key: env.VIGIL_WATERMARK_KEY } } }, `key ${env.VIGIL_WATERMARK_KEY}`);
    log.warn(`cannot reach redis://:never-registered-pw@127.0.0.1:6390`);
    const text = lines.join('\n');
    for (const secret of ['pg-pass-1234', 'whsec-abcdef123', 'ab'.repeat(32), 'idx-9876543210', 'unregistered-token-42', 'never-registered-pw']) expect(text).not.toContain(secret);
    expect(text).toContain('db.example:5432');
    expect(text).toContain('127.0.0.1:6390');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});
