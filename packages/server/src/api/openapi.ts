/**
 * The OpenAPI 3.1 document of the API, generated from the route table so it cannot drift
 * from what the router serves. The schemas are the wire types' own (TypeBox objects from
 * @tsrs/api-types, which are JSON Schema 2020-12): a schema with a `$id` becomes a named
 * component, referenced as `#/components/schemas/<$id>` wherever it appears.
 */
import { ERROR_TEXT, ErrorBody, type TSchema } from '@tsrs/api-types';
import { SRS_COMPAT_VERSION, VERSION } from '../version.js';
import type { Method, Route } from './router.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** `2048 (Stream not found), 2049 (...)`: codes with their meaning from the one table. */
const codes = (errors: readonly number[]) => errors.map((c) => `${c} (${(ERROR_TEXT as Record<number, string>)[c] ?? 'undocumented'})`).join(', ');

/**
 * Named components of the document: `add` turns a wire schema into its document form (plain
 * JSON, nested `$id` schemas replaced by references and collected here). Two different schemas
 * under one `$id` throw: a name means one shape.
 */
export class Components {
  /** each name's schema as JSON (TypeBox's Optional() copies a schema: equal JSON is one schema) */
  private readonly sources = new Map<string, string>();
  readonly schemas: Record<string, unknown> = {};

  add(schema: TSchema): unknown {
    return this.walk(schema, undefined);
  }

  private walk(node: unknown, top: string | undefined): unknown {
    if (Array.isArray(node)) return node.map((n) => this.walk(n, undefined));
    if (!node || typeof node !== 'object') return node;
    const o = node as Record<string, unknown>;
    const id = typeof o.$id === 'string' ? o.$id : undefined;
    if (id !== undefined && id !== top) {
      const known = this.sources.get(id);
      const json = JSON.stringify(node);
      if (known !== undefined && known !== json) throw new Error(`two wire schemas are named ${id}`);
      if (known === undefined) {
        this.sources.set(id, json);
        this.schemas[id] = this.walk(node, id);
      }
      return ref(id);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (k !== '$id') out[k] = this.walk(v, undefined);
    return out;
  }
}

export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const components = new Components();
  components.add(ErrorBody);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const item: Record<string, unknown> = {};
    if (r.path.includes('{id}')) {
      item.parameters = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
    }
    for (const [method, op] of Object.entries(r.ops) as [Method, NonNullable<Route['ops'][Method]>][]) {
      const responses: Record<string, unknown> = {};
      if (op.response === 'redirect') {
        responses['301'] = { description: 'redirect', headers: { Location: { schema: { type: 'string' } } } };
      } else if (op.response === 'file') {
        responses['200'] = {
          description: `the file${op.errors?.length ? `, or an SRS error answer (HTTP 200, {"code":N}) with code ${codes(op.errors)}` : ''}`,
          content: { 'application/json': { schema: ref('Error') }, 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
        };
        responses['206'] = { description: 'the requested byte range (Range: bytes=...)' };
        responses['416'] = { description: 'the range is outside the file' };
      } else if (op.response === 'sdp') {
        responses['201'] = {
          description: 'the SDP answer; Location names the session (DELETE it to end the session)',
          headers: { Location: { schema: { type: 'string' } } },
          content: { 'application/sdp': { schema: { type: 'string' } } },
        };
        responses['4XX'] = { description: `refused: {"code":N,"msg":...} with code ${codes(op.errors ?? [])}`, content: { 'application/json': { schema: ref('Error') } } };
      } else if (op.response === 'text') {
        responses['200'] = { description: 'document', content: { [r.path === '/metrics' ? 'text/plain' : 'application/json']: { schema: {} } } };
      } else {
        responses['200'] = {
          description: op.errors?.length
            ? `success, or an SRS error answer (HTTP 200, {"code":N}) with code ${codes(op.errors)}`
            : 'success',
          content: { 'application/json': { schema: op.errors?.length ? { anyOf: [components.add(op.response), ref('Error')] } : components.add(op.response) } },
        };
      }
      responses['401'] = r.path.includes('/api/') ? { description: 'http_api.auth is on and the credentials are missing or wrong' } : undefined;
      if (!responses['401']) delete responses['401'];
      const parameters = Object.entries(op.query ?? {}).map(([name, q]) => ({
        name,
        in: 'query',
        required: false,
        description: q.description,
        schema: { type: q.type },
      }));
      item[method.toLowerCase()] = {
        summary: op.summary,
        tags: [r.tag],
        ...(parameters.length ? { parameters } : {}),
        ...(op.body === 'sdp'
          ? { requestBody: { required: true, content: { 'application/sdp': { schema: { type: 'string' } } } } }
          : op.body
            ? { requestBody: { required: false, content: { 'application/json': { schema: op.requestSchema ? components.add(op.requestSchema) : {} } } } }
            : {}),
        ...(op.errors?.length ? { 'x-srs-error-codes': op.errors } : {}),
        ...(op.plainJson ? { 'x-tsrs-plain-json': true } : {}),
        responses,
      };
    }
    paths[r.path] = item;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tsrs HTTP API',
      version: VERSION,
      description:
        `SRS ${SRS_COMPAT_VERSION} compatible HTTP API. Errors are HTTP 200 with {"code":N}; ` +
        'JSONP with ?callback= (and ?method=); wrong methods get 405, unknown paths 404; ' +
        'a path without its trailing slash gets 302. Request bodies are capped at 1 MiB (code 4003), ' +
        'malformed JSON bodies give code 3063.',
    },
    components: {
      schemas: components.schemas,
      securitySchemes: { basic: { type: 'http', scheme: 'basic' } },
    },
    security: [{}, { basic: [] }],
    /** every code the API answers with, and its meaning */
    'x-tsrs-error-codes': ERROR_TEXT,
    paths,
  };
}
