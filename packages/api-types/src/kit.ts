/**
 * Shorthands for the wire schemas (TypeBox: each schema is a JSON Schema object and its TS type is
 * `Static<typeof X>`), and the SRS envelope every successful answer starts with.
 */
import { Type, type TNull, type TObject, type TProperties, type TSchema, type TUnion } from '@sinclair/typebox';

const opts = (description?: string) => (description ? { description } : {});

export const str = (description?: string) => Type.String(opts(description));
export const int = (description?: string) => Type.Integer(opts(description));
export const num = (description?: string) => Type.Number(opts(description));
export const bool = (description?: string) => Type.Boolean(opts(description));
export const arr = <T extends TSchema>(items: T, description?: string) => Type.Array(items, opts(description));
/** This or null (JSON Schema `anyOf`). */
export const nullable = <T extends TSchema>(s: T, description?: string): TUnion<[T, TNull]> => Type.Union([s, Type.Null()], opts(description));
/** A string out of a fixed list. */
export const oneOfStrings = <const T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts(description) });
/** An object whose keys are free (names, ids) and whose values all have one shape. */
export const map = <T extends TSchema>(values: T, description?: string) => Type.Record(Type.String(), values, opts(description));
/** An object whose contents the API does not pin down (the typed config view). */
export const anyObject = (description?: string) => Type.Object({}, { additionalProperties: true, ...opts(description) });

/** The fields every successful answer starts with (SRS). */
export const EnvelopeFields = {
  code: Type.Literal(0, { description: '0 on success' }),
  /** server_id from the config, or a generated `vid-xxxxxxx` */
  server: str('server_id from the config, or a generated vid-xxxxxxx'),
  /** 8 random chars, new on every start */
  service: str('8 random chars, new on every start'),
  /** the process id, as a string (SRS) */
  pid: str('the process id, as a string'),
};

/** The envelope plus `fields`: the schema of a successful answer. */
export function envelope<T extends TProperties>(fields: T): TObject<typeof EnvelopeFields & T> {
  return Type.Object({ ...EnvelopeFields, ...fields });
}
