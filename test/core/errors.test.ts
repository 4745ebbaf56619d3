import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorTableMarkdown, VigilError } from '../../core/errors.js';

describe('error codes', () => {
  it('are documented in docs/errors.md exactly as defined (run npm run docs:errors after a change)', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
    expect(doc).toBe(errorTableMarkdown());
  });

  it('are unique and stable in shape', () => {
    const codes = Object.values(ERROR_CODES).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^VIGIL-E\d{4}$/);
  });

  it('describe themselves as the error and the fix', () => {
    const error = new VigilError('KEY_MISSING', 'no watermark key');
    expect(error.describe()).toBe(`error VIGIL-E0309: no watermark key\n  fix: ${ERROR_CODES.KEY_MISSING.fix}`);
  });
});
