import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVigilError, VigilError } from '../../../core/errors.js';
import { isBlockedAddress, v6Groups } from '../../../runners/monitor/address.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { startFixtureServer, type FixtureServer } from './fixture-web.js';

let server: FixtureServer;

beforeAll(async () => {
  server = await startFixtureServer();
  server.route('site.example', '/', { body: '<title>home</title>' });
  server.route('site.example', '/hop1', { status: 301, headers: { location: '/hop2' } });
  server.route('site.example', '/loop', { status: 302, headers: { location: '/loop' } });
  server.route('site.example', '/big', { body: 'x'.repeat(200_000) });
  server.route('site.example', '/big-gzip', { body: 'y'.repeat(300_000), gzip: true });
  server.route('site.example', '/slow', { body: 'late', delayMs: 2_000 });
  server.route('site.example', '/binary', { type: 'application/octet-stream', body: Buffer.from([1, 2, 3]) });
  server.route('site.example', '/gone', { status: 410, body: 'gone' });
  server.route('site.example', '/to-private', { status: 302, headers: { location: 'http://10.0.0.7/admin' } });
  server.route('new.example', '/landing', { body: '<title>landed</title>' });
});
afterAll(() => server.close());

function fixFetcher(extra: Parameters<typeof createFetcher>[0] = {}) {
  return createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()), ...extra });
}

async function failure(p: Promise<unknown>): Promise<VigilError> {
  try {
    await p;
  } catch (error) {
    if (isVigilError(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('address ranges', () => {
  it.each([
    '127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '64:ff9b::a00:1', '::10.0.0.1', '[::1]', 'fe80::1%eth0',
    '2002:7f00:1::1', 'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2001:4860::8888'])('allows %s', (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });

  it('parses IPv6 forms', () => {
    expect(v6Groups('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(v6Groups('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(v6Groups('1:2:3:4:5:6:7:8:9')).toBeUndefined();
  });
});

describe('the safe fetcher', () => {
  it('refuses loopback without allowPrivate, naming the URL', async () => {
    const fetch = createFetcher({ resolve: parseResolve(server.resolveEntries()) });
    const e = await failure(fetch(server.url('site.example')));
    expect(e.errorName).toBe('FETCH_BLOCKED');
    expect(e.message).toContain(server.url('site.example'));
    expect((await failure(fetch(`http://127.0.0.1:${server.port}/`))).errorName).toBe('FETCH_BLOCKED');
    expect((await failure(fetch(`http://[::ffff:127.0.0.1]:${server.port}/`))).errorName).toBe('FETCH_BLOCKED');
  });

  it('refuses a name that DNS resolves to loopback', async () => {
    const e = await failure(createFetcher()(`http://localhost:${server.port}/`));
    expect(e.errorName).toBe('FETCH_BLOCKED');
  });

  it('checks every redirect target again', async () => {
    // Only 10/8 refused here, so the first hop (the fixture on loopback) passes and the redirect is what is refused.
    const viaFixture = fixFetcher({ allowPrivate: false, refuse: (a) => a.startsWith('10.') });
    expect((await viaFixture(server.url('site.example'))).status).toBe(200);
    expect((await failure(viaFixture(server.url('site.example', '/to-private')))).errorName).toBe('FETCH_BLOCKED');
  });

  it('maps HOST:PORT to an address like curl --resolve', async () => {
    const res = await fixFetcher()(server.url('site.example'));
    expect(res.status).toBe(200);
    expect(res.text()).toContain('home');
    expect(() => parseResolve(['bad'])).toThrow(/HOST:PORT:ADDR/);
    expect(parseResolve(['a.example:443:[::1]']).get('a.example:443')).toBe('::1');
  });

  it('follows redirects and records each one', async () => {
    server.route('site.example', '/hop2', { status: 302, headers: { location: server.url('new.example', '/landing') } });
    const res = await fixFetcher()(server.url('site.example', '/hop1'));
    expect(res.finalUrl).toBe(server.url('new.example', '/landing'));
    expect(res.redirects).toEqual([
      { from: server.url('site.example', '/hop1'), to: server.url('site.example', '/hop2'), status: 301 },
      { from: server.url('site.example', '/hop2'), to: server.url('new.example', '/landing'), status: 302 },
    ]);
  });

  it('bounds redirects, bytes (also after decompression), time, and content types', async () => {
    const fetch = fixFetcher({ maxBytes: 100_000 });
    expect((await failure(fetch(server.url('site.example', '/loop')))).message).toMatch(/more than 5 redirects/);
    expect((await failure(fetch(server.url('site.example', '/big')))).message).toMatch(/larger than 100000 bytes/);
    expect((await failure(fetch(server.url('site.example', '/big-gzip')))).message).toMatch(/larger than 100000 bytes/);
    expect((await failure(fetch(server.url('site.example', '/slow'), { timeoutMs: 200 }))).message).toMatch(/timed out/);
    const e = await failure(fetch(server.url('site.example', '/binary'), { accept: ['text/html'] }));
    expect(e.errorName).toBe('FETCH_FAILED');
    expect(e.message).toMatch(/application\/octet-stream/);
    expect((await failure(fetch(server.url('site.example', '/gone')))).message).toMatch(/HTTP 410/);
  });

  it('decodes gzip and the declared charset', async () => {
    const fetch = fixFetcher();
    expect((await fetch(server.url('site.example', '/big-gzip'))).body.length).toBe(300_000);
    const korean = Buffer.from([0xc5, 0xe4, 0xb7, 0xbb, 0xc6, 0xae]); // 토렌트 in EUC-KR
    server.route('site.example', '/euc-kr', { type: 'text/html; charset=euc-kr', body: korean });
    expect((await fetch(server.url('site.example', '/euc-kr'))).text()).toBe('토렌트');
  });
});
