import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, registerSecret } from '../../../core/redact.js';
import { erroredCompletion } from '../../../bot/github/check-run.js';

afterEach(() => clearSecrets());

describe('what the GitHub App shows', () => {
  it('masks secrets in the check run Vigil posts when it fails itself', () => {
    registerSecret('whsec-0011223344');
    const update = erroredCompletion('cannot reach Redis at redis://default:hunter2222@10.0.0.5:6379: signed with whsec-0011223344', new Date('2026-12-02T00:00:00Z'));
    const summary = update.output?.summary ?? '';
    expect(summary).toContain('redis://default:***@10.0.0.5:6379');
    expect(summary).not.toMatch(/hunter2222|whsec-0011223344/);
  });
});
