/**
 * srs.conf parser: builds the directive tree from tokens, splices `include` files in place and
 * expands `$VAR` / `${VAR}` from the environment. Structure errors follow SRS's parse_conf.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Directive } from './directive.js';
import { ConfigError } from './errors.js';
import { tokenize, type Token } from './lexer.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ParseOptions {
  env?: Env;
  /** Base for relative include paths (SRS resolves them against its working directory). */
  cwd?: string;
  /** Collects non-fatal problems (`FILE:LINE: ...`). */
  warnings?: string[];
  /** Collects every file read, the main one first (for reload watching and `-t`). */
  files?: string[];
  /**
   * Collects errors the parser can step over (a missing or cyclic include, a stray `}`, a block
   * left open at the end of a file), so that one run reports them all. Without it the first one
   * is thrown. Errors it cannot step over (a missing `;`, a bad quote) are always thrown.
   */
  errors?: ConfigError[];
}

interface State {
  env: Env;
  cwd: string;
  warnings: string[];
  files: string[];
  /** Undefined: throw the first error. */
  errors: ConfigError[] | undefined;
  /** Files being parsed right now, outermost first: an include of one of them is a cycle. */
  stack: string[];
}

/** Parses srs.conf text into a root directive (name '', no args) holding the top-level directives. */
export function parseDirectives(text: string, file: string, opts: ParseOptions = {}): Directive {
  const st: State = {
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    warnings: opts.warnings ?? [],
    files: opts.files ?? [],
    errors: opts.errors,
    stack: [path.resolve(opts.cwd ?? process.cwd(), file)],
  };
  st.files.push(file);
  const root = new Directive('', [], [], file, 0);
  root.isBlock = true;
  parseInto(root, text, file, st);
  return root;
}

/** Reads and parses a file; `include` paths inside it are resolved as described in `resolveInclude`. */
export function parseFile(file: string, opts: ParseOptions = {}): Directive {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, 0, `cannot read config file: ${(e as Error).message}`);
  }
  return parseDirectives(text, file, opts);
}

/** An error the parser can step over: collected when the caller asked for all of them. */
function fail(st: State, err: ConfigError): void {
  if (!st.errors) throw err;
  st.errors.push(err);
}

/** `vhost __defaultVhost__`, `hls`: how a block is named in messages. */
function blockName(d: Directive): string {
  return [d.name, ...d.args].join(' ');
}

function parseInto(parent: Directive, text: string, file: string, st: State): void {
  const tokens = tokenize(text, file);
  let peeked: Token | undefined;
  // After the end, every read is the eof token again (each open block meets it on the way out).
  let eof: Token | undefined;
  const read = (): Token => {
    if (eof) return eof;
    const t = tokens.next().value as Token;
    if (t.kind === 'eof') eof = t;
    return t;
  };
  const next = (): Token => {
    if (peeked) {
      const t = peeked;
      peeked = undefined;
      return t;
    }
    return read();
  };
  const peek = (): Token => (peeked ??= read());

  const block = (into: Directive, inBlock: boolean): void => {
    for (;;) {
      const t = next();
      if (t.kind === 'eof') {
        // Point at the block that was left open, not at the end of the file.
        if (inBlock) fail(st, new ConfigError(file, into.line, `block '${blockName(into)}' is not closed (no '}' before the end of the file at line ${t.line})`));
        return;
      }
      if (t.kind === '}') {
        if (inBlock) return;
        fail(st, new ConfigError(file, t.line, `unexpected '}' (no block is open here)`));
        continue;
      }
      if (t.kind !== 'word') throw new ConfigError(file, t.line, `unexpected '${t.kind}' (no directive name)`);

      // Gather the words of one directive; they and the terminator must sit on the first line.
      const line = t.line;
      const words: string[] = [t.value];
      while (peek().kind === 'word') {
        const w = next() as Extract<Token, { kind: 'word' }>;
        if (w.line !== line) throw new ConfigError(file, line, `unexpected end of line (missing ';'?)`);
        words.push(w.value);
      }
      const end = next();
      if (end.kind === 'eof') throw new ConfigError(file, line, `unexpected end of file (missing ';'?)`);
      if (end.line !== line) throw new ConfigError(file, line, `unexpected end of line (missing ';'?)`);
      if (end.kind === '}') throw new ConfigError(file, end.line, `unexpected '}' (missing ';'?)`);

      // SRS drops empty words, so `""` is no argument at all.
      const nonEmpty = words.filter((w) => w !== '');
      if (nonEmpty.length === 0) throw new ConfigError(file, line, `unexpected '${end.kind}' (no directive name)`);
      const [name, ...rawArgs] = nonEmpty;
      const d = new Directive(name, rawArgs.map((a) => expandEnv(a, name, file, line, st)), [], file, line);

      if (name === 'include') {
        if (end.kind === '{') throw new ConfigError(file, line, `include cannot be a block`);
        if (d.args.length === 0) {
          fail(st, new ConfigError(file, line, `include needs at least one file`));
          continue;
        }
        for (const inc of d.args) includeFile(into, inc, file, line, st);
        continue;
      }
      into.children.push(d);
      if (end.kind === '{') {
        d.isBlock = true;
        block(d, true);
      }
    }
  };
  block(parent, false);
}

/**
 * SRS opens include paths as given, i.e. relative to its working directory (run from trunk/,
 * so configs say `./conf/x.conf`). tsrs tries that first, then relative to the including file's
 * directory, then the bare file name in that directory, so SRS's own files work from anywhere.
 */
export function resolveInclude(inc: string, includingFile: string, cwd: string): string | undefined {
  if (path.isAbsolute(inc)) return existsSync(inc) ? inc : undefined;
  const dir = path.dirname(path.resolve(cwd, includingFile));
  const candidates = [path.resolve(cwd, inc), path.resolve(dir, inc), path.join(dir, path.basename(inc))];
  return candidates.find((c) => existsSync(c));
}

function includeFile(into: Directive, inc: string, file: string, line: number, st: State): void {
  const found = resolveInclude(inc, file, st.cwd);
  if (!found) return fail(st, new ConfigError(file, line, `include file '${inc}' not found`));
  if (st.stack.includes(found)) {
    return fail(st, new ConfigError(file, line, `include cycle: ${[...st.stack, found].map((f) => path.basename(f)).join(' -> ')}`));
  }
  let text: string;
  try {
    text = readFileSync(found, 'utf8');
  } catch (e) {
    return fail(st, new ConfigError(file, line, `cannot read include file '${inc}': ${(e as Error).message}`));
  }
  st.stack.push(found);
  st.files.push(found);
  // An included file is a whole file: balanced braces, spliced into the current block.
  parseInto(into, text, found, st);
  st.stack.pop();
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * SRS expands `$NAME` only for `candidate`, and uses `*` when it is unset. tsrs expands in
 * every argument; an unset variable elsewhere keeps its literal text with a warning.
 */
function expandEnv(arg: string, name: string, file: string, line: number, st: State): string {
  if (!arg.includes('$')) return arg;
  if (name === 'candidate') {
    const m = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(arg);
    if (m) return st.env[m[1]] || '*';
  }
  return arg.replace(VAR, (whole, braced: string | undefined, bare: string | undefined) => {
    const v = st.env[(braced ?? bare)!];
    if (v === undefined) {
      st.warnings.push(`${file}:${line}: environment variable '${braced ?? bare}' is not set, '${whole}' kept as is`);
      return whole;
    }
    return v;
  });
}
