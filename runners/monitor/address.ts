import { isIP } from 'node:net';

/**
 * Which IP addresses the crawler may connect to. A crawler that follows links and redirects from
 * hostile sites must not be steered at the machine it runs on or at the network behind it (SSRF), so
 * loopback, private, link-local, unique-local, multicast and reserved ranges are refused, IPv4 and
 * IPv6 alike, including IPv4 written inside IPv6 (::ffff:10.0.0.1, 64:ff9b::a00:1, ::10.0.0.1).
 */

function v4Octets(address: string): number[] | undefined {
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return octets.every((o) => o >= 0 && o <= 255) ? octets : undefined;
}

const V4_RANGES: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

function v4Number(octets: number[]): number {
  return ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
}

const V4_BLOCKS = V4_RANGES.map(([net, prefix]) => ({ net: v4Number(v4Octets(net)!), mask: prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0 }));

function blockedV4(octets: number[]): boolean {
  const n = v4Number(octets);
  return V4_BLOCKS.some(({ net, mask }) => ((n & mask) >>> 0) === net);
}

/** The eight 16-bit groups of an IPv6 address, or undefined if it is not one. */
export function v6Groups(address: string): number[] | undefined {
  let a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) {
    const o = v4Octets(dotted[1]!);
    if (!o) return undefined;
    tail.push((o[0]! << 8) | o[1]!, (o[2]! << 8) | o[3]!);
    a = a.slice(0, -dotted[1]!.length);
    if (a.endsWith(':') && !a.endsWith('::')) a = a.slice(0, -1);
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups = s.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
    return groups.some(Number.isNaN) ? undefined : groups;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1) return known === 8 ? [...head, ...tail] : undefined;
  if (known > 7) return undefined;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
}

function blockedV6(g: number[]): boolean {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const embedded = [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  const zeroHead = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroHead && g5 === 0xffff) return blockedV4(embedded); // IPv4-mapped
  if (zeroHead && g5 === 0) return g6 === 0 ? true : blockedV4(embedded); // ::, ::1 and IPv4-compatible
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return blockedV4(embedded); // NAT64
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return true; // site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  if (g0 === 0x2002) return blockedV4([g1 >> 8, g1 & 0xff, g2 >> 8, g2 & 0xff]); // 6to4 carries an IPv4
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return true; // discard-only
  return false;
}

/** True when the crawler must not connect to `address` (an IP literal; unknown forms are refused). */
export function isBlockedAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare.replace(/%.*$/, ''));
  if (family === 4) return blockedV4(v4Octets(bare)!);
  if (family === 6) {
    const groups = v6Groups(bare);
    return groups === undefined ? true : blockedV6(groups);
  }
  return true;
}
