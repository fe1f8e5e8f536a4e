#!/usr/bin/env node
// Builds a native module with node-gyp against the running Node's own headers
// (<prefix>/include/node), never downloading them. Run directly it builds tsrs's
// native/rtc_send.node (the WebRTC fan-out's SRTP and sendmmsg path); the bench builds its
// own module through buildNative().
// Optional: when it cannot be built (no C compiler, make or python3, no headers, not Linux) this
// says why and exits 0, and the JavaScript path is used (for tsrs: src/protocol/rtc/native-send.ts);
// a stale module from an earlier build is removed then. Under CI (CI=true) it exits 1 instead.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds `<dir>/build/Release/<name>.node` (the binding.gyp in `dir`).
 * `missing`: what is not built and what is used instead, for the warning when it cannot be.
 */
export function buildNative(dir, name, missing) {
  const skip = (why) => {
    rmSync(join(dir, 'build'), { recursive: true, force: true });
    console.warn(`tsrs: ${missing} (${why})`);
    process.exit(process.env.CI === 'true' ? 1 : 0);
  };
  if (process.platform !== 'linux') skip(`Linux only, this is ${process.platform}`);
  const prefix = dirname(dirname(process.execPath));
  const nodedir = [process.env.npm_config_nodedir, prefix].find((d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')));
  if (!nodedir) skip(`no Node headers at ${join(prefix, 'include', 'node')}`);
  // npm puts its node-gyp on PATH for scripts; else npm's own copy beside this node
  const gyp = process.env.npm_config_node_gyp ?? join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) skip('node-gyp not found');
  // node-gyp links with $(CXX) by default; the modules are C, so cc links them and g++ is not needed
  const env = { ...process.env, LINK: process.env.LINK ?? process.env.CC ?? 'cc' };
  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=error'], { cwd: dir, stdio: 'inherit', env });
  if (r.status !== 0) skip(`node-gyp exited with ${r.status ?? r.signal}`);
  console.log(`tsrs: built ${join(dir, 'build', 'Release', `${name}.node`)}`);
}

// run directly (also through a symlinked path: import.meta.url is the real one)
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
  buildNative(dir, 'rtc_send', 'native WebRTC send path not built; RTP to WebRTC players is sent from JavaScript');
}
