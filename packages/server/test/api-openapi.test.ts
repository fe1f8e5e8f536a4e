/**
 * Keeps /api/v1/openapi.json true: every documented path and method is requested and the
 * answer is validated (ajv, JSON Schema 2020-12) against the documented schema, with a live
 * stream so the lists and the `{id}` routes have something to show. Validation is closed: an
 * object may carry only the fields its schema names (unless it says otherwise), so a field the
 * server writes and the wire types lack fails here as surely as a missing one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { basicConf, ffmpegPublish, kill, startServer, waitFor, type RunningServer } from './harness.js';
import { api, clients, ffmpegPlay, streams } from './api-helpers.js';

type JsonSchema = Record<string, unknown>;

interface Op {
  'x-srs-error-codes'?: number[];
  'x-tsrs-plain-json'?: boolean;
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
}
interface Doc {
  openapi: string;
  components: { schemas: Record<string, JsonSchema> };
  paths: Record<string, Record<string, Op | unknown>>;
}

/** The schema with `additionalProperties: false` on every object that leaves it unsaid. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([n, s]) => [n, closed(s)])) : closed(v);
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

/** A validator of `schema`, whose `#/components/schemas/X` references resolve in `components`. */
function validator(schema: JsonSchema, components: Record<string, JsonSchema>) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile({ ...(closed(schema) as JsonSchema), components: { schemas: closed(components) } });
  return (value: unknown): string[] => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '$'} ${e.message} ${JSON.stringify(e.params)}`));
}

let server: RunningServer;
let publisher: ReturnType<typeof ffmpegPublish>;
let player: ReturnType<typeof ffmpegPlay>;

before(async () => {
  server = await startServer((p) => basicConf(p, 'hls { enabled on; hls_fragment 2; }'));
  publisher = ffmpegPublish(server.rtmpUrl('/live/doc'));
  await waitFor('published', async () => (await streams(server)).some((s) => s.publish.active && s.video), 15_000);
  player = ffmpegPlay(server.rtmpUrl('/live/doc'));
  await waitFor('player', async () => (await clients(server)).length === 2, 10_000);
});

after(async () => {
  kill(publisher);
  kill(player);
  await server.stop();
});

test('every documented route answers as documented', async () => {
  const doc = (await api(server, '/api/v1/openapi.json')).json as unknown as Doc;
  assert.equal(doc.openapi, '3.1.0');
  const components = doc.components.schemas;
  const stream = (await streams(server))[0];
  const client = (await clients(server)).find((c) => c.type === 'rtmp-play')!;
  const vhostId = ((await api<{ vhosts: { id: string }[] }>(server, '/api/v1/vhosts/')).json.vhosts)[0].id;
  const realId: Record<string, string> = { streams: stream.id, clients: client.id, vhosts: vhostId };
  let checked = 0;

  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const op = raw as Op;
      const ids: (string | undefined)[] = [undefined];
      if (path.includes('{id}')) {
        const kind = path.split('/')[3];
        // DELETE with a real id would kick: only the missing id is tried here (api-live kicks)
        ids.splice(0, 1, ...(method === 'delete' ? ['nosuchid'] : [realId[kind], 'nosuchid']));
      }
      for (const id of ids) {
        const url = id ? path.replace('{id}', id) : path;
        const res = await api(server, url, { method: method.toUpperCase(), ...(method === 'post' ? { body: '' } : {}) });
        const where = `${method.toUpperCase()} ${url}`;
        if (op.responses['301']) {
          assert.equal(res.status, 301, where);
          assert.ok(res.headers.get('location'), where);
          checked++;
          continue;
        }
        if (path.startsWith('/rtc/v1/whip/') || path.startsWith('/rtc/v1/whep/')) {
          // WHIP/WHEP without an offer (and without rtc_server here): a 4xx/5xx JSON refusal with an SRS code
          assert.ok(res.status >= 400 && res.status < 600, where);
          assert.equal(typeof res.json?.code, 'number', where);
          checked++;
          continue;
        }
        assert.equal(res.status, 200, where);
        const content = op.responses['200'].content ?? {};
        const [type, media] = Object.entries(content)[0];
        if (type === 'text/plain') {
          assert.ok(res.text.length > 0, where);
          checked++;
          continue;
        }
        assert.ok(res.json, `${where}: JSON answer`);
        const errors = op['x-srs-error-codes'] ?? [];
        if (op['x-tsrs-plain-json']) {
          assert.deepEqual(validator(media.schema, components)(res.json), [], where);
        } else if (res.json.code !== 0) {
          assert.ok(errors.includes(res.json.code), `${where}: code ${res.json.code} is documented (${errors})`);
          assert.deepEqual(validator(components.Error, components)(res.json), [], `${where}: SRS errors carry only the code`);
        } else {
          const schema = Array.isArray(media.schema.anyOf) ? (media.schema.anyOf[0] as JsonSchema) : media.schema;
          assert.deepEqual(validator(schema, components)(res.json), [], where);
        }
        if (id === 'nosuchid') assert.notEqual(res.json.code, 0, `${where}: a missing id is an error`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 25, `checked ${checked} answers`);
});

test('the document lists every SRS v1 resource', async () => {
  const doc = (await api(server, '/api/v1/openapi.json')).json as unknown as Doc;
  for (const p of ['versions', 'summaries', 'rusages', 'self_proc_stats', 'system_proc_stats', 'meminfos', 'authors', 'features',
    'requests', 'vhosts/', 'vhosts/{id}', 'streams/', 'streams/{id}', 'clients/', 'clients/{id}', 'raw', 'clusters',
    'tests/requests', 'tests/errors', 'tests/redirects']) {
    assert.ok(doc.paths[`/api/v1/${p}`], p);
  }
  assert.ok(doc.paths['/metrics']);
  assert.ok((doc.paths['/api/v1/clients/{id}'] as Record<string, unknown>).delete);
});
