import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createLogger, escapeControls } from './log.js';

test('log lines: control characters from the network are escaped, one event stays one line', async () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const log = createLogger({ format: 'text', destination: out });
  const forged = 'x\n[2026-11-29 22:11:00.000][Trace][1][admin] FORGED\x1b[31m\r\0';
  log.child({ cid: 'c\n1' }).warn({ url: `live/${forged}`, n: 3 }, `refused ${forged}`);
  await new Promise((r) => setTimeout(r, 50));
  const lines = text.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, text);
  assert.match(lines[0], /\]\[c\\n1\] refused x\\n\[2026-11-29 22:11:00\.000\]\[Trace\]\[1\]\[admin\] FORGED\\x1b\[31m\\r\\x00 url=live\/x\\n/);
  assert.doesNotMatch(text, /\x1b|\r|\0/);
  assert.equal(escapeControls('plain név ok'), 'plain név ok');
  assert.equal(escapeControls('\x7f\x9b'), '\\x7f\\x9b');
});
