// Which IP addresses a URL preview may never reach: loopback, private, link-local, shared, multicast,
// documentation and other special-purpose ranges (IANA special-purpose registries for IPv4 and IPv6).
import { isIPv6 } from '../../../matrix/ids';

type Cidr = [bigint, number];

const IPV4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const IPV6_BLOCKED: [string, number][] = [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
];

export function parseIPv4(s: string): bigint | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

export function parseIPv6(s: string): bigint | null {
  if (!isIPv6(s)) return null;
  let text = s;
  let tail: bigint | null = null;
  if (text.includes('.')) {
    const at = text.lastIndexOf(':');
    tail = parseIPv4(text.slice(at + 1));
    text = `${text.slice(0, at + 1)}0:0`;
  }
  const [left, right] = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').filter((g) => g !== '') : []);
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const all = [...l, ...Array(8 - l.length - r.length).fill('0'), ...r];
  let value = all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tail !== null) value = (value & ~0xffffffffn) | tail;
  return value;
}

const cidrs = (list: [string, number][], parse: (s: string) => bigint | null, bits: number): Cidr[] =>
  list.map(([a, len]) => [parse(a)! >> BigInt(bits - len), len]);
const V4 = cidrs(IPV4_BLOCKED, parseIPv4, 32);
const V6 = cidrs(IPV6_BLOCKED, parseIPv6, 128);

const inAny = (value: bigint, table: Cidr[], bits: number) => table.some(([prefix, len]) => value >> BigInt(bits - len) === prefix);

/** True when `ip` (IPv4, or IPv6 without brackets) is special-purpose, or not an IP address at all. */
export function isBlockedAddress(ip: string): boolean {
  const v4 = parseIPv4(ip);
  if (v4 !== null) return inAny(v4, V4, 32);
  const v6 = parseIPv6(ip);
  if (v6 === null) return true;
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the IPv4 address inside.
  if (v6 >> 32n === 0xffffn || v6 >> 32n === 0x64ff9b0000000000000000n) return inAny(v6 & 0xffffffffn, V4, 32);
  return inAny(v6, V6, 128);
}
