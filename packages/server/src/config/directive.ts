/**
 * The directive tree of an srs.conf file. Every directive keeps the file and line it was read
 * from (after `include` splicing that may differ between siblings), so later checks can report
 * `FILE:LINE`.
 */
export class Directive {
  constructor(
    public name: string,
    public args: string[] = [],
    public children: Directive[] = [],
    public file = '',
    public line = 0,
  ) {}

  /** First argument or '' (SRS's `arg0()`), the value of most directives. */
  get arg0(): string {
    return this.args[0] ?? '';
  }

  /** First child with this name: SRS looks up the first match when names repeat. */
  get(name: string): Directive | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** All children with this name, in file order (several `vhost`, `stream_caster`, `engine`...). */
  getAll(name: string): Directive[] {
    return this.children.filter((c) => c.name === name);
  }

  /** First child `name` whose first arg is `arg0` (e.g. `vhost x`). */
  find(name: string, arg0: string): Directive | undefined {
    return this.children.find((c) => c.name === name && c.arg0 === arg0);
  }

  /** The child `name`, created at the end (inheriting this directive's place) when absent. */
  getOrCreate(name: string, args: string[] = []): Directive {
    let d = this.get(name);
    if (!d) {
      d = new Directive(name, args, [], this.file, this.line);
      this.children.push(d);
    }
    return d;
  }

  /** The directive back in srs.conf syntax (used for diffs and debugging). */
  toString(indent = ''): string {
    const head = [this.name, ...this.args.map(quoteIfNeeded)].join(' ');
    if (this.children.length === 0 && !this.isBlock) return `${indent}${head};`;
    const inner = this.children.map((c) => c.toString(indent + '    ')).join('\n');
    return `${indent}${head} {${inner ? '\n' + inner + '\n' + indent : ''}}`;
  }

  /** True when the directive was written as a block (`name { }`), even an empty one. */
  isBlock = false;
}

function quoteIfNeeded(a: string): string {
  return /[\s;{}#'"]/.test(a) || a === '' ? (a.includes("'") ? `"${a}"` : `'${a}'`) : a;
}

/** Structural equality, ignoring where the directives were read from. */
export function sameDirective(a: Directive | undefined, b: Directive | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.name !== b.name || a.args.length !== b.args.length || a.children.length !== b.children.length) {
    return false;
  }
  return a.args.every((v, i) => v === b.args[i]) && a.children.every((c, i) => sameDirective(c, b.children[i]));
}
