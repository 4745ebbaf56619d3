import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../../../core/errors.js';
import { mailAddress } from '../../../../runners/takedown/channels/address.js';

describe('the notice address check', () => {
  it.each([
    ['abuse@leaks.example.com', 'abuse@leaks.example.com'],
    ['  DMCA+notices@Host.Example.NET ', 'DMCA+notices@host.example.net'],
    ['abuse@xn--9n2bp8q.xn--3e0b707e', 'abuse@xn--9n2bp8q.xn--3e0b707e'],
    ['abuse@registrar.example.', 'abuse@registrar.example'],
  ])('accepts %j as %j', (given, expected) => {
    expect(mailAddress(given)).toBe(expected);
  });

  it.each([
    ['abuse@leaks.example.com\r\nBcc: x@y.example', /line break/],
    ['Abuse Desk <abuse@leaks.example.com>', /space|list separator/],
    ['a@b@leaks.example.com', /more than one @/],
    ['leaks.example.com', /no @/],
    ['.abuse@leaks.example.com', /not plain/],
    ['abuse@-leaks.example.com', /not a domain name/],
    ['abuse@leaks.example.123', /not a top-level domain/],
    ['abuse@mail.localhost', /never reaches a mail server/],
  ])('refuses %j, saying why', (given, why) => {
    let caught: unknown;
    try { mailAddress(given); } catch (error) { caught = error; }
    expect(isVigilError(caught, 'NOTICE_ADDRESS_INVALID')).toBe(true);
    expect((caught as Error).message).toMatch(why);
  });
});
