/**
 * Pure readers of the Linux /proc counters behind /api/v1/summaries' `system` object, with
 * SRS's meaning of each figure (SRS 6 srs_app_utility.cpp). Every reader is bounded: it looks
 * at no more than a fixed number of lines, whatever the text holds.
 */
import { BlockList, isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';

/** Lines read from /proc/net/dev and /proc/diskstats at most (SRS reads 16 network devices). */
export const MAX_PROC_LINES = 1024;

/** One /proc/net/dev row: an interface and its byte counters since boot. */
export interface NetDevice {
  name: string;
  recvBytes: number;
  sendBytes: number;
}

/** Interface byte totals as SRS splits them: internet (public) devices, and intranet ("i") ones. */
export interface NetTotals {
  recv: number;
  send: number;
  recvi: number;
  sendi: number;
}

/** /proc/net/dev rows (after its two header lines): receive bytes are field 1, transmit bytes field 9. */
export function parseNetDev(text: string): NetDevice[] {
  const out: NetDevice[] = [];
  const lines = text.split('\n', MAX_PROC_LINES + 2).slice(2);
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/);
    if (!name || f.length < 9) continue;
    out.push({ name, recvBytes: Number(f[0]) || 0, sendBytes: Number(f[8]) || 0 });
  }
  return out;
}

/**
 * Addresses that are not on the internet: the RFC 1918 private blocks, loopback (127.0.0.0/8,
 * ::1), the unspecified address, and for IPv6 the link-local (fe80::/10), site-local
 * (fec0::/10), unique-local (fc00::/7, RFC 4193) and multicast (ff00::/8) blocks.
 */
const NOT_INTERNET = (() => {
  const b = new BlockList();
  b.addSubnet('10.0.0.0', 8, 'ipv4');
  b.addSubnet('172.16.0.0', 12, 'ipv4');
  b.addSubnet('192.168.0.0', 16, 'ipv4');
  b.addSubnet('127.0.0.0', 8, 'ipv4');
  b.addAddress('0.0.0.0', 'ipv4');
  b.addAddress('::1', 'ipv6');
  b.addAddress('::', 'ipv6');
  b.addSubnet('fe80::', 10, 'ipv6');
  b.addSubnet('fec0::', 10, 'ipv6');
  b.addSubnet('fc00::', 7, 'ipv6');
  b.addSubnet('ff00::', 8, 'ipv6');
  return b;
})();

/** Whether an IP address is a public (internet) one; anything that is not an IP address is not. */
export function isInternetAddress(address: string): boolean {
  const v = isIP(address);
  if (!v) return false;
  return !NOT_INTERNET.check(address, v === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The interfaces SRS counts as internet devices, from `os.networkInterfaces()` (interfaces that
 * are up and running, with their addresses): an interface with at least one public address.
 * Loopback interfaces (`internal`) never count, whatever their addresses, and an interface with
 * no address at all is an intranet one, as in SRS. (SRS lets the last address it meets decide,
 * so an interface with a public IPv4 and a link-local IPv6 address turns intranet there; tsrs
 * takes any public address.)
 */
export function internetInterfaces(ifs: NodeJS.Dict<NetworkInterfaceInfo[]>): Set<string> {
  const out = new Set<string>();
  for (const [name, addrs] of Object.entries(ifs)) {
    if (!addrs || name === 'lo') continue;
    if (addrs.some((a) => !a.internal && isInternetAddress(a.address.split('%')[0]))) out.add(name);
  }
  return out;
}

/** Sum the devices into internet (`recv`/`send`) and intranet (`recvi`/`sendi`) bytes; `lo` is always intranet. */
export function netTotals(devices: readonly NetDevice[], internet: ReadonlySet<string>): NetTotals {
  const t: NetTotals = { recv: 0, send: 0, recvi: 0, sendi: 0 };
  for (const d of devices) {
    if (d.name !== 'lo' && internet.has(d.name)) {
      t.recv += d.recvBytes;
      t.send += d.sendBytes;
    } else {
      t.recvi += d.recvBytes;
      t.sendi += d.sendBytes;
    }
  }
  return t;
}

/** System socket counts as SRS reports them (`conn_sys`, `conn_sys_et`, `conn_sys_tw`, `conn_sys_udp`). */
export interface SocketCounts {
  /** TCP sockets allocated plus those in TIME_WAIT (`TCP: ... tw N alloc N` of /proc/net/sockstat), as `ss -s` counts them */
  sys: number;
  /** established TCP connections (`Tcp: CurrEstab` of /proc/net/snmp) */
  established: number;
  /** TCP sockets in TIME_WAIT */
  tw: number;
  /** UDP sockets in use (`UDP: inuse N`) */
  udp: number;
}

/** Read /proc/net/sockstat and /proc/net/snmp (either may be missing: its figures are then 0). */
export function parseSockstat(sockstat: string | undefined, snmp: string | undefined): SocketCounts {
  const lines = (sockstat ?? '').split('\n', 64);
  const field = (prefix: string, name: string): number => {
    const line = lines.find((l) => l.startsWith(prefix));
    if (!line) return 0;
    const f = line.slice(prefix.length).trim().split(/\s+/);
    const i = f.indexOf(name);
    return i >= 0 ? Number(f[i + 1]) || 0 : 0;
  };
  let established = 0;
  if (snmp) {
    const tcp = snmp.split('\n', 64).filter((l) => l.startsWith('Tcp:'));
    if (tcp.length >= 2) {
      const names = tcp[0].trim().split(/\s+/);
      const values = tcp[1].trim().split(/\s+/);
      const i = names.indexOf('CurrEstab');
      established = i > 0 ? Number(values[i]) || 0 : 0;
    }
  }
  const tw = field('TCP:', 'tw');
  return { sys: field('TCP:', 'alloc') + tw, established, tw, udp: field('UDP:', 'inuse') };
}

/** Sums over the named disks of /proc/diskstats (sectors are 512 bytes; `ioTicksMs` = time spent doing I/O). */
export interface DiskTotals {
  readSectors: number;
  writeSectors: number;
  ioTicksMs: number;
}

/**
 * /proc/diskstats for the disks `stats { disk ...; }` names (exact device names, e.g. `sda`),
 * and nothing else: with no disk named every total stays 0, as SRS.
 */
export function parseDiskstats(text: string, disks: readonly string[]): DiskTotals {
  const t: DiskTotals = { readSectors: 0, writeSectors: 0, ioTicksMs: 0 };
  if (!disks.length) return t;
  for (const line of text.split('\n', MAX_PROC_LINES)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13 || !disks.includes(f[2])) continue;
    t.readSectors += Number(f[5]) || 0;
    t.writeSectors += Number(f[9]) || 0;
    t.ioTicksMs += Number(f[12]) || 0;
  }
  return t;
}

/** /proc/vmstat's `pgpgin` / `pgpgout`: KiB paged in from and out to block devices since boot (all disks). */
export function parseVmstat(text: string): { pgpgin: number; pgpgout: number } {
  const num = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { pgpgin: num('pgpgin'), pgpgout: num('pgpgout') };
}
