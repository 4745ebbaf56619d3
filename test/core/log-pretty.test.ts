import { describe, expect, it } from 'vitest';
import { prettyLine } from '../../core/log-pretty.js';

describe('pretty log lines', () => {
  const time = new Date(2026, 2, 1, 14, 3, 7, 412).getTime();

  it('show time, level, message and the fields as key=value, quoting values with spaces', () => {
    const json = JSON.stringify({ level: 40, time, pid: 1, name: 'vigil', msg: 'fetch failed', url: 'https://x.to/a b', attempt: 2, tags: ['a'] });
    expect(prettyLine(json)).toBe('14:03:07.412 WARN  fetch failed url="https://x.to/a b" attempt=2 tags=["a"]\n');
  });

  it('show an error by its message, fold a message of many lines into one, and colour the level at a terminal', () => {
    const json = JSON.stringify({ level: 50, time, msg: 'ffmpeg failed\n  line two', err: { type: 'Error', message: 'exit 1', stack: 'Error: exit 1\n    at x' } });
    expect(prettyLine(json)).toBe('14:03:07.412 ERROR ffmpeg failed | line two err="exit 1"\n');
    expect(prettyLine(json, true)).toContain('\x1b[31mERROR\x1b[39m');
  });

  it('pass a line that is not JSON through unchanged', () => {
    expect(prettyLine('plain\n')).toBe('plain\n');
  });
});
