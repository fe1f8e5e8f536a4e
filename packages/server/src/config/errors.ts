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

/** Where a value came from, for messages: a directive's place, or the environment variable. */
export interface Origin {
  file: string;
  line: number;
}
