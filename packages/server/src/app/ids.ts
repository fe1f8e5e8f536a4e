import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Random [0-9a-z] text of the given length (SRS's context and object ids). */
export function randomId(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i] % ALPHABET.length];
  return out;
}

/** SRS's id for vhosts and streams: "vid-" + 7 chars. */
export const newObjectId = (): string => `vid-${randomId(7)}`;

/** SRS's connection context id: 8 chars. */
export const newContextId = (): string => randomId(8);
