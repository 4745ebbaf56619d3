import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.js';
import { MAX_URL_LENGTH, capLength, escapeHtml, oneLine } from '../../../runners/takedown/hostile-text.js';
import { composeNotice, type NoticeFinding } from '../../../runners/takedown/notice.js';
import { SUBJECT_MAX } from '../../../runners/takedown/render.js';
import { contents, finding, policy, signedOn } from './notice-fixtures.js';

function noticeWith(findings: NoticeFinding[], extra: { to?: string; contentsOverride?: typeof contents } = {}) {
  return composeNotice({ to: extra.to ?? 'abuse@leaks.example.com', policy: policy(), contents: extra.contentsOverride ?? contents, findings, date: signedOn });
}

describe('hostile page titles and URLs', () => {
  it('keeps a page title with CR/LF on its own line, so it cannot forge a header or a signature line', () => {
    const notice = noticeWith([finding('https://leaks.example.com/a', { pageTitle: 'Tide Line\r\nBcc: victim@example.net\r\n\r\nSignature: /s/ Mallory\n' })]);
    expect(notice.text).not.toMatch(/^Bcc:/m);
    expect(notice.text).not.toMatch(/^Signature: \/s\/ Mallory/m);
    expect(notice.text).toContain('page title: Tide Line Bcc: victim@example.net Signature: /s/ Mallory');
    expect(notice.text).not.toContain('\r');
  });

  it('escapes markup in a page title in the HTML part', () => {
    const notice = noticeWith([finding('https://leaks.example.com/a', { pageTitle: '<script>alert(1)</script><img src=x onerror=alert(2)> & "q" \'s\'' })]);
    expect(notice.html).not.toMatch(/<script|<img/i);
    expect(notice.html).toContain('<bdi>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &amp; &quot;q&quot; &#39;s&#39;</bdi>');
    // The plain-text part shows the characters as they are: a mail reader does not run them.
    expect(notice.text).toContain('<script>alert(1)</script>');
  });

  it('serializes a URL with quotes and brackets so it cannot close its href', () => {
    const notice = noticeWith([finding('https://leaks.example.com/a"><script>x()</script>?q=\'"<b>')]);
    expect(notice.urls).toEqual(['https://leaks.example.com/a%22%3E%3Cscript%3Ex()%3C/script%3E?q=%27%22%3Cb%3E']);
    expect(notice.html).not.toMatch(/<script|<b>/);
    expect(notice.html).toContain('href="https://leaks.example.com/a%22%3E%3Cscript%3Ex()%3C/script%3E?q=%27%22%3Cb%3E"');
  });

  it('lists a Unicode host in punycode, as a mail client would follow it', () => {
    expect(noticeWith([finding('https://드라마.한국/1')]).urls).toEqual(['https://xn--hy1bv3co9b.xn--3e0b707e/1']);
  });

  for (const url of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'ftp://leaks.example.com/a', 'not a url']) {
    it(`refuses to list ${JSON.stringify(url)}`, () => {
      try {
        noticeWith([finding('https://leaks.example.com/a'), { ...finding('https://leaks.example.com/b'), url }]);
        expect.unreachable();
      } catch (error) {
        expect(isVigilError(error, 'LINK_INVALID')).toBe(true);
      }
    });
  }

  it('refuses a URL longer than any server serves', () => {
    expect(() => noticeWith([finding(`https://leaks.example.com/${'a'.repeat(MAX_URL_LENGTH)}`)])).toThrow(/longer than the 8192/);
    expect(noticeWith([finding(`https://leaks.example.com/${'a'.repeat(4000)}`)]).urls[0]).toHaveLength(4000 + 'https://leaks.example.com/'.length);
  });

  it('strips control and bidi-override characters from a page title', () => {
    const notice = noticeWith([finding('https://leaks.example.com/a', { pageTitle: 'Tide\u0000Line\u202e4pm.exe\u2066\u0007\u2028end\u0085' })]);
    expect(notice.text).toContain('page title: Tide Line 4pm.exe end\n');
    expect(notice.text).not.toMatch(/[\u0000-\u0008\u202e\u2066\u2028\u0085]/);
  });

  it('caps a page title at 200 characters', () => {
    const notice = noticeWith([finding('https://leaks.example.com/a', { pageTitle: `${'x'.repeat(5000)}` })]);
    const line = notice.text.split('\n').find((l) => l.includes('page title:'))!;
    expect(line.trim()).toBe(`page title: ${'x'.repeat(199)}…`);
  });

  it('keeps the subject one line, free of controls and capped, whatever the titles hold', () => {
    const hostile = new Map(contents);
    hostile.set('tide-line-s2', { title: `Tide\r\nBcc: victim@example.net\u0000 ${'Line '.repeat(400)}`, type: 'film', releaseDate: '2026-03-01' });
    const notice = noticeWith([finding('https://leaks.example.com/a')], { contentsOverride: hostile });
    expect(notice.subject).not.toMatch(/[\r\n\u0000]/);
    expect(Array.from(notice.subject).length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(notice.subject).toContain('Tide Bcc: victim@example.net Line');
    expect(notice.subject).toMatch(/URLs: 1$/);
  });

  it('flattens an abuse contact that carries CR/LF to one line', () => {
    const notice = noticeWith([finding('https://leaks.example.com/a')], { to: 'abuse@leaks.example.com\r\nBcc: victim@example.net' });
    expect(notice.to).toBe('abuse@leaks.example.com Bcc: victim@example.net');
  });

  it('leaves a placeholder in a page title as text', () => {
    const notice = noticeWith([finding('https://leaks.example.com/a', { pageTitle: '{principal} {count} {title}' })]);
    expect(notice.text).toContain('page title: {principal} {count} {title}');
  });
});

describe('hostile-text', () => {
  it('cuts by code points, never inside a surrogate pair', () => {
    expect(capLength('😀😀😀', 2)).toBe('😀…');
    expect(capLength('abc', 3)).toBe('abc');
  });

  it('collapses white space and trims', () => {
    expect(oneLine('  a\t\tb \n c  ', 100)).toBe('a b c');
  });

  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
