import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendFile } from './static-files.js';

test('a file replaced (rename over) between the stat and the read is sent whole, as one version', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrs-sendfile-'));
  const file = join(dir, 'live.m3u8');
  const v1 = '#EXTM3U\n#EXTINF:1.000,\nlive-1.ts\n';
  const v2 = '#EXTM3U\n#EXTINF:1.000,\nlive-1.ts\n#EXTINF:1.000,\nlive-12.ts\n';
  writeFileSync(file, v1);
  const server = createServer((req, res) => {
    const before = statSync(file); // what a caller saw ...
    writeFileSync(join(dir, 'tmp'), v2);
    renameSync(join(dir, 'tmp'), file); // ... before the playlist was rewritten atomically
    void sendFile(req, res, file, before);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const r = await fetch(`http://127.0.0.1:${port}/live.m3u8`);
    const body = await r.text();
    assert.equal(body, v2, 'the whole new version, not the new one cut at the old length');
    assert.equal(r.headers.get('content-length'), String(Buffer.byteLength(v2)));
  } finally {
    server.close();
  }
});
