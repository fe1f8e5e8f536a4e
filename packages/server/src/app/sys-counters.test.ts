import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NetworkInterfaceInfo } from 'node:os';
import {
  internetInterfaces,
  isInternetAddress,
  netTotals,
  parseDiskstats,
  parseNetDev,
  parseSockstat,
  parseVmstat,
} from './sys-counters.js';

const SOCKSTAT = `sockets: used 312
TCP: inuse 41 orphan 2 tw 117 alloc 58 mem 29
UDP: inuse 7 mem 3
UDPLITE: inuse 0
RAW: inuse 0
FRAG: inuse 0 memory 0
`;

const SNMP = `Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 12345
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 5000 4000 10 20 33 1000000 900000 50 0 100 0
Udp: InDatagrams NoPorts InErrors OutDatagrams
Udp: 10 0 0 10
`;

test('conn_sys is TCP alloc + TIME_WAIT (sockstat), conn_sys_et CurrEstab (snmp), as SRS and ss -s', () => {
  assert.deepEqual(parseSockstat(SOCKSTAT, SNMP), { sys: 58 + 117, established: 33, tw: 117, udp: 7 });
  // a missing file gives zeros for its figures only
  assert.deepEqual(parseSockstat(undefined, SNMP), { sys: 0, established: 33, tw: 0, udp: 0 });
  assert.deepEqual(parseSockstat(SOCKSTAT, undefined), { sys: 175, established: 0, tw: 117, udp: 7 });
});

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  1000     10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:  2000     20    0    0    0     0          0         0      200      20    0    0    0     0       0          0
  eth1:  30000    30    0    0    0     0          0         0     3000      30    0    0    0     0       0          0
  wlan0: 400000   40    0    0    0     0          0         0    40000      40    0    0    0     0       0          0
docker0: 5000000  50    0    0    0     0          0         0   500000      50    0    0    0     0       0          0
  ifb0:  60000000 60    0    0    0     0          0         0  6000000      60    0    0    0     0       0          0
`;

const addr = (address: string, internal = false): NetworkInterfaceInfo =>
  ({ address, internal, family: address.includes(':') ? 'IPv6' : 'IPv4', netmask: '', mac: '', cidr: null }) as NetworkInterfaceInfo;

test('/proc/net/dev: receive and transmit bytes per interface', () => {
  const devs = parseNetDev(NET_DEV);
  assert.deepEqual(devs.map((d) => [d.name, d.recvBytes, d.sendBytes]), [
    ['lo', 1000, 1000], ['eth0', 2000, 200], ['eth1', 30000, 3000], ['wlan0', 400000, 40000],
    ['docker0', 5000000, 500000], ['ifb0', 60000000, 6000000],
  ]);
});

test('intranet counters: interfaces with only private (RFC 1918), loopback or no addresses; the rest are internet', () => {
  const internet = internetInterfaces({
    lo: [addr('127.0.0.1', true), addr('::1', true)],
    // public IPv4 beside a link-local IPv6: internet
    eth0: [addr('203.0.113.7'), addr('fe80::1%eth0')],
    // RFC 1918 10/8 and a unique-local IPv6: intranet
    eth1: [addr('10.1.2.3'), addr('fd00::5')],
    // a public IPv6 only: internet
    wlan0: [addr('2001:db8::10')],
    // RFC 1918 172.16/12
    docker0: [addr('172.17.0.1')],
    // ifb0 has no address at all: intranet, as SRS
  });
  assert.deepEqual([...internet].sort(), ['eth0', 'wlan0']);
  assert.deepEqual(netTotals(parseNetDev(NET_DEV), internet), {
    recv: 2000 + 400000,
    send: 200 + 40000,
    recvi: 1000 + 30000 + 5000000 + 60000000,
    sendi: 1000 + 3000 + 500000 + 6000000,
  });
});

test('internet addresses by SRS\'s rule: RFC 1918 and loopback are not', () => {
  for (const a of ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.1.1', '127.0.0.1', '127.0.0.0', '::1', 'fe80::1', 'fec0::1', 'fd12::1', 'ff02::1', 'not-an-ip']) {
    assert.equal(isInternetAddress(a), false, a);
  }
  for (const a of ['172.15.255.255', '172.32.0.1', '192.169.0.1', '11.0.0.1', '8.8.8.8', '2001:4860::8888']) {
    assert.equal(isInternetAddress(a), true, a);
  }
  // a loopback interface stays intranet even with a public address on it
  assert.deepEqual([...internetInterfaces({ lo: [addr('8.8.8.8', true)], lo1: [addr('8.8.4.4', true)] })], []);
});

const DISKSTATS = `   7       0 loop0 11 0 22 0 0 0 0 0 0 3 0 0 0 0 0 0 0
 254       0 vda 434225 60962 11568978 312128 349691 459239 32059112 282409 0 212244 727112 440974 178 17879384 120669 18683 11904
 254       1 vda1 400000 60000 11000000 300000 340000 450000 32000000 280000 0 200000 700000 0 0 0 0 0 0
   8       0 sda 100 0 800 10 200 0 1600 20 0 5000 30 0 0 0 0 0 0
`;

test('disk stats: only the disks `stats { disk ...; }` names; none named, all zero (as SRS)', () => {
  assert.deepEqual(parseDiskstats(DISKSTATS, []), { readSectors: 0, writeSectors: 0, ioTicksMs: 0 });
  assert.deepEqual(parseDiskstats(DISKSTATS, ['vda']), { readSectors: 11568978, writeSectors: 32059112, ioTicksMs: 212244 });
  assert.deepEqual(parseDiskstats(DISKSTATS, ['vda', 'sda']), { readSectors: 11568978 + 800, writeSectors: 32059112 + 1600, ioTicksMs: 212244 + 5000 });
  // names match exactly: no partitions, no prefixes
  assert.deepEqual(parseDiskstats(DISKSTATS, ['vd']), { readSectors: 0, writeSectors: 0, ioTicksMs: 0 });
});

test('/proc/vmstat paging counters', () => {
  assert.deepEqual(parseVmstat('nr_free_pages 1\npgpgin 5784489\npgpgout 16029556\npgpgoutclean 3\n'), { pgpgin: 5784489, pgpgout: 16029556 });
  assert.deepEqual(parseVmstat(''), { pgpgin: 0, pgpgout: 0 });
});
