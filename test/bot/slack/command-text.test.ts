import { describe, expect, it } from 'vitest';
import { parseCommandText, splitWords, usageText, type ParsedCommand } from '../../../bot/slack/command-text.js';

function ok(text: string): unknown {
  const parsed = parseCommandText(text);
  if (!parsed.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got ${parsed.error.message}`);
  return parsed.command;
}

function wrong(text: string): Extract<ParsedCommand, { ok: false }>['error'] {
  const parsed = parseCommandText(text);
  if (parsed.ok) throw new Error(`expected ${JSON.stringify(text)} to be refused, got ${JSON.stringify(parsed.command)}`);
  return parsed.error;
}

describe('/vigil command text', () => {
  it('splits words like a shell: quotes group, curly quotes count, apostrophes inside words are letters', () => {
    expect(splitWords('  findings   "Iron Orchard"  --takedown \'in progress\' ')).toEqual(['findings', 'Iron Orchard', '--takedown', 'in progress']);
    expect(splitWords("findings Ocean's Eleven")).toEqual(['findings', "Ocean's", 'Eleven']);
    expect(splitWords('a "say \\"hi\\"" b\\ c')).toEqual(['a', 'say "hi"', 'b c']);
    expect(splitWords('findings "open')).toEqual({ unclosed: '"' });
  });

  it('reads an empty command as help and subcommands in any case', () => {
    expect(ok('')).toEqual({ name: 'help' });
    expect(ok('   ')).toEqual({ name: 'help' });
    expect(ok('STATUS')).toEqual({ name: 'status' });
    expect(ok('Review')).toEqual({ name: 'review' });
    expect(ok('--help')).toEqual({ name: 'help' });
  });

  it('reads findings filters with smart quotes, a dash autocorrected from --, a title in words and repeated statuses', () => {
    expect(ok('findings \u201CIron Orchard\u201D \u2014from 2026-03-01 --to=2026-03-31 --tz asia/seoul --takedown available --takedown \u201Cin progress\u201D')).toEqual({
      name: 'findings',
      filters: { title: 'Iron Orchard', from: '2026-03-01', to: '2026-03-31', tz: 'asia/seoul', takedown: ['available', 'in progress'] },
    });
    expect(ok('findings Iron Orchard --Family StreamFree')).toEqual({ name: 'findings', filters: { title: 'Iron Orchard', family: 'StreamFree' } });
  });

  it('unwraps a link Slack wrapped as <https://x|x>, for --link, --host, detect and report', () => {
    expect(ok('findings --link <https://www.streamfree.to/watch/1|streamfree.to/watch/1>')).toEqual({ name: 'findings', filters: { link: 'https://www.streamfree.to/watch/1' } });
    expect(ok('findings --host <https://pirate.example/a/b>')).toEqual({ name: 'findings', filters: { link: 'pirate.example' } });
    expect(ok('detect <https://leak.example/v.mp4|leak.example/v.mp4>')).toEqual({ name: 'detect', url: 'https://leak.example/v.mp4' });
    expect(ok('report <https://pirate.example/x|pirate.example/x> whole film,   1080p')).toEqual({ name: 'report', url: 'https://pirate.example/x', note: 'whole film, 1080p' });
  });

  it('takes finding ids as 42, #42 or finding-42', () => {
    expect(ok('takedown 42')).toEqual({ name: 'takedown', findingId: 42, override: false });
    expect(ok('takedown --OVERRIDE #42')).toEqual({ name: 'takedown', findingId: 42, override: true });
    expect(wrong('ignore 42 --override').message).toContain('not 2 words');
    expect(ok('ignore #42')).toEqual({ name: 'ignore', findingId: 42 });
    expect(ok('DETECT finding-7')).toEqual({ name: 'detect', findingId: 7 });
  });

  it('names what is wrong and shows the usage of the subcommand meant', () => {
    expect(wrong('takedown')).toMatchObject({ subcommand: 'takedown', message: expect.stringContaining('needs a finding ID') });
    expect(wrong('takedown abc')).toMatchObject({ subcommand: 'takedown', message: expect.stringContaining('`abc` is not a finding ID') });
    expect(wrong('ignore 0').subcommand).toBe('ignore');
    expect(wrong('takedown 1 2').message).toContain('not 2 words');
    expect(wrong('report not-a-link').message).toContain('is not a link');
    expect(wrong('report').message).toContain('needs the link');
    expect(wrong('status now').subcommand).toBe('status');
    expect(wrong('findings --takedown done').message).toMatch(/unknown takedown status "done"; one of Available/);
    expect(wrong('findings --tz Mars/Olympus').message).toContain('is not a time zone');
    expect(wrong('findings --from 2026-02-30').message).toContain('is not a calendar date');
    expect(wrong('findings --colour red').message).toContain('`--colour` is not a findings filter');
    expect(wrong('findings --from').message).toContain('`--from` needs a value');
    expect(wrong('findings "Iron Orchard').message).toContain('double quote is not closed');
    expect(usageText(wrong('takedown'))).toContain('Usage: `/vigil takedown ID [--override]`');
  });

  it('suggests the subcommand meant for a typo, and lists them all for an unknown word', () => {
    const typo = wrong('finidngs');
    expect(typo).toMatchObject({ subcommand: undefined, message: expect.stringContaining('did you mean `findings`') });
    const unknown = usageText(wrong('launch rockets'));
    expect(unknown).toContain('`launch` is not something Vigil knows');
    expect(unknown).toContain('/vigil register');
  });
});
