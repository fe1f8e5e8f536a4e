/**
 * SRS's `security` block: allow/deny publish|play by IP or CIDR.
 *
 * SRS's order: disabled -> everything passes. Enabled -> a matching deny rejects (deny wins),
 * else a matching allow permits, else the client is rejected (default deny).
 */
import { isIP } from 'node:net';
import type { Config, SecurityView } from '../config/index.js';
import type { Client } from './client.js';
import { AdmissionError, type Admission } from './hub.js';

/** SRS ERROR_SYSTEM_SECURITY_DENY / _ALLOW. */
const ERROR_SECURITY_DENY = 1024;
const ERROR_SECURITY_ALLOW = 1025;

/** An address as a 128-bit number; IPv4 (and IPv4-mapped IPv6) as ::ffff:a.b.c.d. */
export function ipToBigInt(ip: string): bigint | undefined {
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  const family = isIP(ip);
  if (family === 4) return 0xffff00000000n | v4(ip);
  if (family !== 6) return undefined;
  let text = ip;
  // a dotted IPv4 tail (::ffff:1.2.3.4) stands for the last two groups
  const dot = text.lastIndexOf(':');
  if (text.includes('.', dot)) {
    const n = v4(text.slice(dot + 1));
    text = `${text.slice(0, dot + 1)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const parse = (s: string) => (s ? s.split(':').map((g) => BigInt(parseInt(g, 16))) : []);
  const h = parse(head);
  const r = rest === undefined ? [] : parse(rest);
  const groups = rest === undefined ? h : [...h, ...Array<bigint>(8 - h.length - r.length).fill(0n), ...r];
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

function v4(ip: string): bigint {
  return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

/** Whether `ip` matches a rule value: `all`, an address, or a CIDR (IPv4 rules match IPv4-mapped IPv6). */
export function ipMatches(value: string, ip: string): boolean {
  if (value === 'all') return true;
  const addr = ipToBigInt(ip);
  if (addr === undefined) return false;
  const [base, bitsText] = value.split('/');
  const net = ipToBigInt(base);
  if (net === undefined) return false;
  let bits = 128;
  if (bitsText !== undefined) bits = Number(bitsText) + (isIP(base) === 4 ? 96 : 0);
  if (bits <= 0) return true;
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(128 - bits);
  return (addr & mask) === (net & mask);
}

export type SecurityVerdict = { ok: true } | { ok: false; code: number; reason: string };

/** SRS's check for one client IP and method against a vhost's security block. */
export function checkSecurity(security: SecurityView | undefined, method: 'publish' | 'play', ip: string): SecurityVerdict {
  if (!security?.enabled) return { ok: true };
  const rules = security.rules.filter((r) => r.method === method);
  const deny = rules.find((r) => r.action === 'deny' && ipMatches(r.value, ip));
  if (deny) return { ok: false, code: ERROR_SECURITY_DENY, reason: `${method} denied for ${ip} by 'deny ${method} ${deny.value}'` };
  if (rules.some((r) => r.action === 'allow' && ipMatches(r.value, ip))) return { ok: true };
  return { ok: false, code: ERROR_SECURITY_ALLOW, reason: `${method} not allowed for ${ip} by any of ${security.rules.length} rules` };
}

/** The Admission the hub runs before a publish or a play. */
export class SecurityAdmission implements Admission {
  constructor(private readonly config: () => Config) {}

  async publish(client: Client): Promise<void> {
    this.check('publish', client);
  }

  async play(client: Client): Promise<void> {
    this.check('play', client);
  }

  /**
   * Checks the client's address and, when it claimed another one (SRS's JSON `clientip`), the
   * socket's too: a claimed address cannot lift a `deny` of the real one, and a proxy that
   * passes its clients' addresses must itself be allowed.
   */
  private check(method: 'publish' | 'play', client: Client): void {
    const security = this.config().getVhost(client.vhost)?.security;
    for (const ip of client.peerIp === undefined ? [client.ip] : [client.peerIp, client.ip]) {
      const verdict = checkSecurity(security, method, ip);
      if (!verdict.ok) throw new AdmissionError(`security: ${verdict.reason}`, verdict.code);
    }
  }
}
