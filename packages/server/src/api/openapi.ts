/**
 * The OpenAPI 3.1 document of the API, generated from the route table so it cannot drift
 * from what the router serves.
 */
import { SRS_COMPAT_VERSION, VERSION } from '../version.js';
import { COMPONENTS } from './components.js';
import type { Method, Route } from './router.js';
import { ref } from './schema.js';

export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
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
          description: `the file${op.errors?.length ? `, or an SRS error answer (HTTP 200, {"code":N}) with code ${op.errors.join(', ')}` : ''}`,
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
        responses['4XX'] = { description: `refused: {"code":N,"msg":...} with code ${op.errors?.join(', ') ?? ''}`, content: { 'application/json': { schema: ref('Error') } } };
      } else if (op.response === 'text') {
        responses['200'] = { description: 'document', content: { [r.path === '/metrics' ? 'text/plain' : 'application/json']: { schema: {} } } };
      } else {
        responses['200'] = {
          description: op.errors?.length
            ? `success, or an SRS error answer (HTTP 200, {"code":N}) with code ${op.errors.join(', ')}`
            : 'success',
          content: { 'application/json': { schema: op.errors?.length ? { oneOf: [op.response, ref('Error')] } : op.response } },
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
            ? { requestBody: { required: false, content: { 'application/json': { schema: {} } } } }
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
      schemas: COMPONENTS,
      securitySchemes: { basic: { type: 'http', scheme: 'basic' } },
    },
    security: [{}, { basic: [] }],
    paths,
  };
}
