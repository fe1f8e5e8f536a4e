import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_TEXT, Stream, Type } from '@tsrs/api-types';
import { parseConfigText } from '../config/index.js';
import { Components, openApiDocument } from './openapi.js';
import { buildRoutes, type ApiDeps } from './routes.js';

const routes = () => {
  const { config } = parseConfigText('listen 1935;\n');
  return buildRoutes({ config: () => config, rtc: () => undefined } as unknown as ApiDeps);
};

test('every error code a route declares is in the one table, with its meaning', () => {
  const declared = new Set(routes().flatMap((r) => Object.values(r.ops).flatMap((op) => op.errors ?? [])));
  assert.ok(declared.size >= 15, `${declared.size} codes`);
  for (const code of declared) assert.ok(code in ERROR_TEXT, `code ${code} has no text`);
});

test('named wire schemas become components, and every $ref names one', () => {
  const doc = openApiDocument(routes()) as { components: { schemas: Record<string, unknown> } };
  const json = JSON.stringify(doc);
  const refs = new Set([...json.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]));
  for (const name of refs) assert.ok(doc.components.schemas[name], `$ref ${name}`);
  for (const name of ['Stream', 'Client', 'Vhost', 'Kbps', 'Error', 'Recording', 'HistoryStreamSession']) assert.ok(refs.has(name), name);
  assert.doesNotMatch(json, /"\$id"/, 'no $id left in the document');
  // the Stream component is the wire schema itself, its nested named schemas referenced
  assert.deepEqual(Object.keys((doc.components.schemas.Stream as { properties: object }).properties), Object.keys(Stream.properties));
});

test('two different schemas under one name are refused', () => {
  const c = new Components();
  c.add(Type.Object({ a: Type.String() }, { $id: 'Same' }));
  assert.throws(() => c.add(Type.Object({ b: Type.String() }, { $id: 'Same' })), /two wire schemas are named Same/);
});
