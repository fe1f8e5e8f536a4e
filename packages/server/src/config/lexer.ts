/**
 * Tokenizer for the srs.conf grammar, after SRS's `SrsConfDirective::read_token`:
 * - tokens are separated by space, tab, CR or LF;
 * - `#` starts a comment only at the start of a token (`a#b` is one word);
 * - `'...'` and `"..."` make one word with no escapes; the closing quote must be followed by
 *   whitespace, `;` or `{`;
 * - `;`, `{` and `}` are punctuation; `;` and `{` also end a word written right before them.
 * - tsrs extension: `${NAME}` inside a word is part of it, for environment expansion.
 * The "a directive may not span lines" rule needs to know lines, so every token has one.
 */
import { ConfigError } from './errors.js';

export type Token =
  | { kind: 'word'; value: string; quoted: boolean; line: number }
  | { kind: ';' | '{' | '}'; line: number }
  | { kind: 'eof'; line: number };

const ENV_REF = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}/;

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

export function* tokenize(text: string, file: string): Generator<Token> {
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (isSpace(c)) {
      if (c === '\n') line++;
      i++;
      continue;
    }
    if (c === '#') {
      // A comment runs to the end of the line; the newline itself is handled above.
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (c === ';' || c === '{' || c === '}') {
      yield { kind: c, line };
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = line;
      const close = text.indexOf(c, i + 1);
      const nl = text.indexOf('\n', i + 1);
      if (close < 0) throw new ConfigError(file, start, `unterminated quoted string`);
      if (nl >= 0 && nl < close) throw new ConfigError(file, start, 'unexpected end of line inside a quoted string');
      const value = text.slice(i + 1, close);
      i = close + 1;
      const next = text[i];
      if (next !== undefined && !isSpace(next) && next !== ';' && next !== '{') {
        throw new ConfigError(file, line, `unexpected '${next}' after a quoted string`);
      }
      yield { kind: 'word', value, quoted: true, line: start };
      continue;
    }
    // A plain word ends at whitespace, `;` or `{`. Note `}` and `#` do not end it (as in SRS).
    // tsrs extension: `${NAME}` stays inside the word (SRS would open a block at its `{`).
    const startAt = i;
    while (i < n) {
      const d = text[i];
      if (d === '$' && text[i + 1] === '{') {
        const m = ENV_REF.exec(text.slice(i, i + 260));
        if (m) {
          i += m[0].length;
          continue;
        }
      }
      if (isSpace(d) || d === ';' || d === '{') break;
      i++;
    }
    yield { kind: 'word', value: text.slice(startAt, i), quoted: false, line };
  }
  yield { kind: 'eof', line };
}
