import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../config/index.js';
import { configRoutes } from './routes-config.js';
import type { RequestCtx } from './router.js';

test('/api/v1/config shows the running config with secrets masked', async () => {
  const { config } = parseConfigText(
    'listen 1935;\nhttp_api { enabled on; auth { enabled on; username u; password hunter2; } }\nvhost v { hls { enabled on; } }\n',
  );
  const [route] = configRoutes({ config: () => config });
  const reply = await route.ops.GET!.handle({} as RequestCtx);
  assert.equal(reply.kind, 'ok');
  const fields = (reply as unknown as { fields: { text: string; config: { global: { http_api: { auth: { password: string } } }; vhosts: Record<string, { hls: { enabled: boolean } }> } } }).fields;
  assert.doesNotMatch(JSON.stringify(fields), /hunter2/);
  assert.match(fields.text, /password \*+;/);
  assert.equal(fields.config.global.http_api.auth.password, '******');
  assert.equal(fields.config.vhosts.v.hls.enabled, true);
});
