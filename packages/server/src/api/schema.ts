/**
 * A tiny JSON Schema builder (the subset OpenAPI 3.1 needs to describe tsrs's answers) and a
 * matching checker. The route table uses it so one description drives the OpenAPI document
 * and the tests that keep the document true.
 */
export type JsonSchema =
  | { type: 'string'; enum?: string[]; description?: string }
  | { type: 'integer' | 'number' | 'boolean'; description?: string; const?: number }
  | { type: 'object'; properties: Record<string, JsonSchema>; required: string[]; additionalProperties?: boolean | JsonSchema; description?: string }
  | { type: 'array'; items: JsonSchema; description?: string }
  | { type: ['object', 'null'] | ['string', 'null'] | ['integer', 'null']; properties?: Record<string, JsonSchema>; required?: string[]; description?: string }
  | { oneOf: JsonSchema[]; description?: string }
  | { $ref: string; description?: string };

export const str = (description?: string): JsonSchema => ({ type: 'string', ...(description ? { description } : {}) });
export const int = (description?: string): JsonSchema => ({ type: 'integer', ...(description ? { description } : {}) });
export const num = (description?: string): JsonSchema => ({ type: 'number', ...(description ? { description } : {}) });
export const bool = (description?: string): JsonSchema => ({ type: 'boolean', ...(description ? { description } : {}) });
export const arr = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
export const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
export const oneOf = (...options: JsonSchema[]): JsonSchema => ({ oneOf: options });

/** An object; every property is required unless its name is listed in `optional`. */
export function obj(properties: Record<string, JsonSchema>, optional: string[] = []): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties).filter((k) => !optional.includes(k)) };
}

/** A map of arbitrary keys to one value schema. */
export function map(values: JsonSchema): JsonSchema {
  return { type: 'object', properties: {}, required: [], additionalProperties: values };
}

/** An object or null. */
export function nullableObj(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: ['object', 'null'], properties, required: Object.keys(properties) };
}

/**
 * Checks `value` against `schema`; returns the problems found (empty = matches). Extra
 * properties are allowed (SRS adds fields between versions), missing required ones are not.
 */
export function check(schema: JsonSchema, value: unknown, components: Record<string, JsonSchema>, at = '$'): string[] {
  if ('$ref' in schema) {
    const name = schema.$ref.split('/').pop()!;
    const target = components[name];
    return target ? check(target, value, components, at) : [`${at}: unknown $ref ${schema.$ref}`];
  }
  if ('oneOf' in schema) {
    const results = schema.oneOf.map((s) => check(s, value, components, at));
    return results.some((r) => r.length === 0) ? [] : [`${at}: matches none of ${schema.oneOf.length} options (${results.map((r) => r[0]).join('; ')})`];
  }
  const t = schema.type;
  if (Array.isArray(t)) {
    if (value === null) return [];
    if (t[0] === 'string') return typeof value === 'string' ? [] : [`${at}: expected string or null`];
    if (t[0] === 'integer') return Number.isInteger(value) ? [] : [`${at}: expected integer or null`];
    const s = schema as { properties?: Record<string, JsonSchema>; required?: string[] };
    return check({ type: 'object', properties: s.properties ?? {}, required: s.required ?? [] }, value, components, at);
  }
  switch (t) {
    case 'string':
      if (typeof value !== 'string') return [`${at}: expected string, got ${JSON.stringify(value)}`];
      if (schema.type === 'string' && schema.enum && !schema.enum.includes(value)) return [`${at}: ${value} not in ${schema.enum.join('|')}`];
      return [];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: expected integer, got ${JSON.stringify(value)}`];
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? [] : [`${at}: expected number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: expected boolean`];
    case 'array': {
      if (!Array.isArray(value)) return [`${at}: expected array`];
      const items = (schema as { items: JsonSchema }).items;
      return value.flatMap((v, i) => check(items, v, components, `${at}[${i}]`));
    }
    case 'object': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${at}: expected object`];
      const s = schema as Extract<JsonSchema, { type: 'object' }>;
      const v = value as Record<string, unknown>;
      const problems: string[] = [];
      for (const k of s.required) if (!(k in v)) problems.push(`${at}.${k}: missing`);
      for (const [k, sub] of Object.entries(s.properties)) if (k in v) problems.push(...check(sub, v[k], components, `${at}.${k}`));
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        for (const [k, x] of Object.entries(v)) if (!(k in s.properties)) problems.push(...check(s.additionalProperties, x, components, `${at}.${k}`));
      }
      return problems;
    }
  }
  return [];
}
