/**
 * A problem in a config file. The message always starts with `FILE:LINE:` so that
 * `tsrs -t` and the logs point at the exact place, like SRS's "line N: ..." but with the file
 * (includes make the file ambiguous otherwise).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

/**
 * Several problems at once (a start or reload refused for all of them). `message` lists every
 * one, one `FILE:LINE: ...` per line; file/line/detail are the first one's.
 */
export class ConfigErrorList extends ConfigError {
  constructor(readonly all: readonly ConfigError[]) {
    super(all[0].file, all[0].line, all[0].detail);
    this.message = all.map((e) => e.message).join('\n');
  }
}

/** Where a value came from, for messages: a directive's place, or the environment variable. */
export interface Origin {
  file: string;
  line: number;
}
