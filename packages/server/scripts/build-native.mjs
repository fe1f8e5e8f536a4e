#!/usr/bin/env node
// Builds native/rtc_send.node (the WebRTC fan-out's SRTP and sendmmsg path) with node-gyp
// against the running Node's own headers (<prefix>/include/node), never downloading them.
// Optional: when it cannot be built (no C compiler, make or python3, no headers, not Linux) this
// says why and exits 0, and tsrs sends RTP from JavaScript (src/protocol/rtc/native-send.ts);
// a stale module from an earlier build is removed then. Under CI (CI=true) it exits 1 instead.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
const skip = (why) => {
  rmSync(join(dir, 'build'), { recursive: true, force: true });
  console.warn(`tsrs: native WebRTC send path not built (${why}); RTP to WebRTC players is sent from JavaScript`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
};
if (process.platform !== 'linux') skip(`sendmmsg is Linux only, this is ${process.platform}`);
const prefix = dirname(dirname(process.execPath));
const nodedir = [process.env.npm_config_nodedir, prefix].find((d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')));
if (!nodedir) skip(`no Node headers at ${join(prefix, 'include', 'node')}`);
// npm puts its node-gyp on PATH for scripts; else npm's own copy beside this node
const gyp = process.env.npm_config_node_gyp ?? join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (!existsSync(gyp)) skip('node-gyp not found');
// node-gyp links with $(CXX) by default; the module is C, so cc links it and g++ is not needed
const env = { ...process.env, LINK: process.env.LINK ?? process.env.CC ?? 'cc' };
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=error'], { cwd: dir, stdio: 'inherit', env });
if (r.status !== 0) skip(`node-gyp exited with ${r.status ?? r.signal}`);
console.log('tsrs: built native/build/Release/rtc_send.node');
