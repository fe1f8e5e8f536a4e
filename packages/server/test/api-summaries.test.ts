/**
 * /api/v1/summaries' system figures with SRS's meanings, checked against /proc read by the test
 * right before and right after the sample the answer carries (`net_sample_time` tells when it was
 * taken); and /api/v1/raw?rpc=raw's http_api block as SRS 5 answers it.
 */
import assert from 'node:assert/strict';
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Summaries } from '@tsrs/api-types';
import { internetInterfaces, netTotals, parseNetDev } from '../src/app/sys-counters.js';
import { basicConf, procStatusKiB, sleep, startServer, type RunningServer } from './harness.js';
import { api } from './api-helpers.js';

/** The block device (as /proc/diskstats names it) holding `path`, from its st_dev major:minor. */
function diskOf(path: string): string | undefined {
  const dev = statSync(path).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (Number(f[0]) === major && Number(f[1]) === minor) return f[2];
  }
  return undefined;
}

let plain: RunningServer;
let named: RunningServer;
let disk: string | undefined;

before(async () => {
  plain = await startServer((p) => basicConf(p));
  disk = diskOf(plain.dir);
  named = await startServer((p) => `
listen ${p.rtmp};
daemon off;
srs_log_tank console;
http_api { enabled on; listen 127.0.0.1:${p.api}; raw_api { enabled on; allow_reload off; allow_query on; allow_update on; } }
${disk ? `stats { disk ${disk}; }` : ''}
vhost __defaultVhost__ { }
`);
});

after(async () => {
  await Promise.all([plain?.stop(), named?.stop()]);
});

interface Reading {
  at: number;
  net: ReturnType<typeof netTotals>;
  socks: Socks;
  hwm: number;
  /** bytes received on `lo` */
  lo: number;
}

function readProc(pid: number): Reading {
  const devices = parseNetDev(readFileSync('/proc/net/dev', 'utf8'));
  return {
    at: Date.now(),
    net: netTotals(devices, internetInterfaces(os.networkInterfaces())),
    lo: devices.find((d) => d.name === 'lo')?.recvBytes ?? 0,
    socks: readSocks(),
    hwm: procStatusKiB(pid, 'VmHWM'),
  };
}

interface Socks {
  inuse: number;
  tw: number;
  alloc: number;
  udp: number;
  established: number;
}

/** The test's own reading of /proc/net/sockstat (`TCP: inuse N orphan N tw N alloc N ...`) and snmp's CurrEstab. */
function readSocks(): Socks {
  const sockstat = readFileSync('/proc/net/sockstat', 'utf8');
  const tcp = /^TCP: inuse (\d+) orphan \d+ tw (\d+) alloc (\d+)/m.exec(sockstat)!;
  const udp = /^UDP: inuse (\d+)/m.exec(sockstat)!;
  const [names, values] = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Tcp:')).map((l) => l.split(' '));
  return { inuse: +tcp[1], tw: +tcp[2], alloc: +tcp[3], udp: +udp[1], established: +values[names.indexOf('CurrEstab')] };
}

/** A summaries answer whose sample was taken between two readings of /proc by the test. */
async function bracketed(server: RunningServer): Promise<{ before: Reading; sum: Summaries; after: Reading }> {
  for (let i = 0; i < 20; i++) {
    await sleep(1100); // the server samples at most once a second: the next request samples anew
    const b = readProc(server.proc.pid!);
    const sum = (await api<{ data: Summaries }>(server, '/api/v1/summaries')).json.data;
    const a = readProc(server.proc.pid!);
    if (sum.system.net_sample_time >= b.at && sum.system.net_sample_time <= a.at) return { before: b, sum, after: a };
  }
  throw new Error('no summaries sample fell between two readings of /proc');
}

/** Leave `n` sockets in TIME_WAIT: the client closes first (the active closer waits). */
async function timeWaits(n: number): Promise<void> {
  const server = createServer((s) => s.on('end', () => s.end()).on('error', () => undefined));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => new Promise<void>((resolve, reject) => {
      const c = connect(port, '127.0.0.1', () => c.end());
      c.on('error', reject).on('close', () => resolve());
      c.resume();
    })));
  }
  await new Promise((r) => server.close(r));
}

test('conn_sys is TCP alloc + TIME_WAIT, conn_sys_tw/et/udp as /proc/net/sockstat and snmp say (as SRS)', { timeout: 60_000 }, async () => {
  await timeWaits(400);
  const { before: b, sum, after: a } = await bracketed(plain);
  const s = sum.system;
  // other processes open and close sockets meanwhile: allow their churn over the few ms between readings
  const within = (v: number, x: number, y: number, slack: number, what: string) =>
    assert.ok(v >= Math.min(x, y) - slack && v <= Math.max(x, y) + slack, `${what} ${v} not within [${x}, ${y}] ±${slack}`);
  const slack = 40;
  // the 400 sockets in TIME_WAIT make alloc + tw far from the sockets in use
  assert.ok(b.socks.alloc + b.socks.tw - b.socks.inuse > 300, `alloc+tw vs inuse: ${JSON.stringify(b.socks)}`);
  // conn_sys and conn_sys_tw come from one sample: their difference is the allocated TCP sockets,
  // a figure that moves far less than TIME_WAIT under other tests' churn
  const allocSlack = slack + Math.max(b.socks.alloc, a.socks.alloc) / 4;
  within(s.conn_sys - s.conn_sys_tw, b.socks.alloc, a.socks.alloc, allocSlack, 'conn_sys - conn_sys_tw (TCP alloc)');
  // (conn_sys = inuse would give inuse - tw here: below the range by the test's TIME_WAITs)
  assert.ok(b.socks.inuse - b.socks.tw < Math.min(b.socks.alloc, a.socks.alloc) - allocSlack, 'the check above tells alloc + tw from inuse');
  within(s.conn_sys_tw, b.socks.tw, a.socks.tw, slack + Math.max(b.socks.tw, a.socks.tw) / 5, 'conn_sys_tw');
  within(s.conn_sys_et, b.socks.established, a.socks.established, slack, 'conn_sys_et');
  within(s.conn_sys_udp, b.socks.udp, a.socks.udp, slack, 'conn_sys_udp');
  assert.ok(s.conn_sys_tw >= 300, `conn_sys_tw ${s.conn_sys_tw} counts the test's 400 TIME_WAITs`);
});

test('net_recv/send_bytes sum the public-address interfaces, net_recvi/sendi_bytes the private, loopback and address-less ones', { timeout: 60_000 }, async () => {
  const { before: b, sum, after: a } = await bracketed(plain);
  const s = sum.system;
  for (const [k, v, x, y] of [
    ['net_recv_bytes', s.net_recv_bytes, b.net.recv, a.net.recv],
    ['net_send_bytes', s.net_send_bytes, b.net.send, a.net.send],
    ['net_recvi_bytes', s.net_recvi_bytes, b.net.recvi, a.net.recvi],
    ['net_sendi_bytes', s.net_sendi_bytes, b.net.sendi, a.net.sendi],
  ] as const) {
    assert.ok(v >= x && v <= y, `${k} ${v} not within [${x}, ${y}]`);
  }
  // loopback traffic (this very request) is intranet
  assert.ok(b.lo > 0 && s.net_recvi_bytes >= b.lo, `net_recvi_bytes ${s.net_recvi_bytes} holds lo's ${b.lo}`);
});

test('self.mem_kbyte is the peak RSS (ru_maxrss, KiB) and mem_percent that over the RAM, as SRS', { timeout: 60_000 }, async () => {
  const { before: b, sum, after: a } = await bracketed(plain);
  assert.ok(b.hwm > 0);
  // VmHWM folds in the current RSS as it is read, getrusage the kernel's last synced peak: a few pages apart
  const slack = 2048;
  assert.ok(sum.self.mem_kbyte >= b.hwm - slack && sum.self.mem_kbyte <= a.hwm + slack, `mem_kbyte ${sum.self.mem_kbyte} vs VmHWM [${b.hwm}, ${a.hwm}]`);
  const total = sum.system.mem_ram_kbyte;
  assert.ok(Math.abs(sum.self.mem_percent - sum.self.mem_kbyte / total) < 0.0001, `mem_percent ${sum.self.mem_percent}`);
});

test('disk_busy_percent is 0 unless stats { disk ...; } names the disk; read/write KBps page in/out as SRS', { timeout: 90_000, skip: !existsDiskstats() && 'no /proc/diskstats' }, async (t) => {
  if (!disk) return t.skip('the test dir is on no block device of /proc/diskstats');
  // Real writes to the disk named in `named`'s config, flushed so the device is busy.
  const file = join(plain.dir, 'io.bin');
  const chunk = Buffer.alloc(1 << 20, 1);
  let writing = true;
  const writer = (async () => {
    while (writing) {
      const fd = openSync(file, 'w');
      for (let i = 0; i < 16; i++) writeSync(fd, chunk);
      fsyncSync(fd);
      closeSync(fd);
      await sleep(20);
    }
  })();
  try {
    let namedBusy = 0;
    let plainBusy = 0;
    let plainWrite = 0;
    for (let i = 0; i < 8 && (namedBusy === 0 || plainWrite === 0 || i < 3); i++) {
      await sleep(1100);
      const [p, n] = await Promise.all([plain, named].map(async (s) => (await api<{ data: Summaries }>(s, '/api/v1/summaries')).json.data.system));
      plainBusy = Math.max(plainBusy, p.disk_busy_percent);
      plainWrite = Math.max(plainWrite, p.disk_write_KBps);
      namedBusy = Math.max(namedBusy, n.disk_busy_percent);
    }
    assert.equal(plainBusy, 0, 'no disk named: disk_busy_percent stays 0');
    assert.ok(namedBusy > 0 && namedBusy <= 2, `disk ${disk} named: busy ${namedBusy} (a 0..1 ratio per disk)`);
    assert.ok(plainWrite > 0, 'disk_write_KBps counts the pages written out (/proc/vmstat), disks named or not');
  } finally {
    writing = false;
    await writer;
    rmSync(file, { force: true });
  }
});

function existsDiskstats(): boolean {
  try {
    readFileSync('/proc/diskstats');
    return true;
  } catch {
    return false;
  }
}

test('raw API: http_api.listen as configured, allow_query/allow_update false (SRS 5 removed them)', async () => {
  const raw = (s: RunningServer) => api<{ http_api: { listen: string; raw_api: Record<string, boolean> } }>(s, '/api/v1/raw?rpc=raw');
  const n = (await raw(named)).json;
  assert.equal(n.code, 0);
  assert.equal(n.http_api.listen, `127.0.0.1:${named.ports.api}`);
  assert.deepEqual(n.http_api.raw_api, { enabled: true, allow_reload: false, allow_query: false, allow_update: false });
  const p = (await raw(plain)).json;
  assert.equal(p.http_api.listen, String(plain.ports.api));
  assert.deepEqual(p.http_api.raw_api, { enabled: false, allow_reload: false, allow_query: false, allow_update: false });
});
